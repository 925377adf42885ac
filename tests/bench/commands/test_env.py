"""`bench env`: a short summary by default (the CPU flags that matter for deep learning, not all of them);
--all and --json for everything."""

from __future__ import annotations

import pytest

from bench.commands.env import _ghz, dl_instructions, summary_lines
from tests.bench.conftest import bench

RAW_FLAGS = ["3dnowprefetch", "abm", "adx", "aes", "avx", "avx2", "avx512_bf16", "avx512_vnni",  # py-cpuinfo
             "avx512bw", "avx512f", "avx512vl", "bmi1", "clflush", "fma", "sse2", "sse4_2", "tsc"]
INFO = {  # made-up fingerprint in env.json's shape
    "hostname": "box", "os": "Linux-6.1-x86_64", "python": "3.11.7", "cpu_model": "Made-Up EPYC",
    "cpu": {"brand_raw": "Made-Up EPYC", "hz_advertised_friendly": "2.6 GHz", "flags": RAW_FLAGS},
    "logical_cores": 2, "physical_cores": 2, "ram_gb": 23.54,
    "packages": {"tensorflow": None, "tensorflow-cpu": "2.21.0", "keras": "3.15.1", "numpy": "2.4.6"},
    "nvml_gpus": [], "gpu_note": "this TensorFlow is built without CUDA", "onednn": {"enabled": True},
    "tf_gpus": [],
}


def test_summary_is_a_few_short_lines_with_the_flags_that_matter():
    lines = summary_lines(INFO)
    assert len(lines) <= 9 and max(len(x) for x in "\n".join(lines).splitlines()) <= 80
    text = "\n".join(lines)
    assert "AVX2, FMA, AVX-512, VNNI, AVX-512 BF16; no AMX" in text
    assert "3dnowprefetch" not in text and "clflush" not in text
    assert "23.5 GB" in text and "none (this TensorFlow is built without CUDA)" in text
    assert "tensorflow-cpu 2.21.0, keras 3.15.1" in text and "oneDNN on" in text
    assert "--all" in text and "--json" in text


def test_gpus_and_a_measured_peak_are_named():
    info = {**INFO, "nvml_gpus": [{"name": "NVIDIA H100", "memory_total_mb": 81_559.0}], "nvml_driver": "550",
            "peak_gflop_s": {"cpu": 212.34, "gpu:0": 51_234.0}}
    text = " ".join(" ".join(summary_lines(info)).split())
    assert "NVIDIA H100 (79.6 GB), driver 550" in text
    assert "cpu 212 GFLOP/s, gpu:0 51,234 GFLOP/s" in text and "moves with the machine's load" in text


def test_instructions_on_other_cpus():
    sapphire = ["sse2", "avx2", "avx512f", "amx_tile", "amx_bf16"]
    assert dl_instructions(sapphire) == "AVX2, AVX-512, AMX, AMX BF16"
    assert dl_instructions(["asimd", "sve"]) == "NEON, SVE"  # arm: no 'no AVX-512' there
    assert dl_instructions([]).startswith("unknown")


def test_env_prints_the_summary():
    short = bench("env")
    assert short.returncode == 0, short.stderr
    assert short.stdout.startswith("CPU ") and len(short.stdout.splitlines()) <= 12


def test_env_prints_every_field_on_asking(monkeypatch, capsys):
    """--all: the whole fingerprint, raw CPU flags included (a made-up one: the probe is tested above)."""
    from bench.cli import main
    from bench.launch import runner

    info = {"cpu_model": "Made-Up CPU", "logical_cores": 2, "cpu": {"flags": ["avx2", "fma"]}}
    monkeypatch.setattr(runner, "probe_env", lambda peak: info)
    assert main(["env", "--all"]) == 0
    out = capsys.readouterr().out
    assert "logical_cores" in out and "flags" in out and "avx2" in out


@pytest.mark.parametrize(("friendly", "shown"), [("2.5961 GHz", "2.6 GHz"), ("800.0000 MHz", "0.8 GHz"),
                                                 ("3.7000 GHz", "3.7 GHz"), ("", None), ("fast", None)])
def test_the_clock_reads_as_people_write_it(friendly, shown):
    assert _ghz(friendly) == shown
