"""Nothing personal leaves in a shared result: planted host and user names, paths, addresses, ids,
serial numbers and environment variables are gone from every byte of the file."""

from __future__ import annotations

import gzip
import json

import pytest

from bench.results.scrub import Scrubber, personal
from bench.results.shared import read_shared, write_shared
from tests.bench.results.made_up_run import ENV, record, write_run

# Each planted secret and a fragment that must not survive anywhere in the file.
PLANTED = {
    "host name": "alice-workstation",
    "user name in a POSIX path": "/home/alice",
    "user name in a Windows path": "Users\\alice",
    "user name in a macOS path": "/Users/alice",
    "home-relative path": "~/private",
    "environment variable": "s3cr3t-token-value",
    "GPU UUID": "8f3b2a1c-1234-5678-9abc-def012345678",
    "machine id": "0123456789abcdef0123456789abcdef",
    "serial number": "1320219012345",
    "serial in text": "XYZ123SERIAL",
    "MAC address": "00:1a:2b:3c:4d:5e",
    "IPv4 address": "192.168.1.20",
    "IPv6 address": "fe80::1ff:fe23:4567:890a",
    "e-mail address": "alice@example.org",
    "PCI bus id": "00000000:01:00.0",
    "private data folder": "private-data",
}


def _planted_run(tmp_path):
    env = {
        **ENV,
        "hostname": "alice-workstation",
        "env": {"AWS_SECRET_ACCESS_KEY": "s3cr3t-token-value", "HOME": "/home/alice", "OMP_NUM_THREADS": "2",
                "CUDA_VISIBLE_DEVICES": "GPU-8f3b2a1c-1234-5678-9abc-def012345678"},
        "nvml_gpus": [{"index": 0, "name": "NVIDIA GeForce RTX 3070", "driver": "560.35.03",
                       "memory_total_mb": 8192.0, "uuid": "GPU-8f3b2a1c-1234-5678-9abc-def012345678",
                       "serial": "1320219012345", "pci_bus_id": "00000000:01:00.0"}],
        "machine_id": "0123456789abcdef0123456789abcdef",
        "mac": "00:1a:2b:3c:4d:5e",
        "cwd": "/home/alice/galaxybench",
        "os": "Linux-6.1-x86_64 on alice-workstation",
        "tf_build_info": {"cpu_compiler": "/home/alice/.local/bin/clang"},
    }
    records = [
        record("a", 1000.0, dataset_path="/home/alice/private-data/mnist.h5", machine="alice-workstation",
               ray_node={"node_id": "abc", "address": "192.168.1.20"}, machine_env_id="0a1b2c3d4e",
               username="alice", hostname="alice-workstation",
               unavailable={"energy_j": "RAPL unreadable at /sys/class/powercap on alice-workstation"}),
        record("b", 0.0, status="error", train_img_s=None, infer_img_s=None, train_gflop_s=None,
               reason="connect to fe80::1ff:fe23:4567:890a%eth0 and 192.168.1.20 failed; "
                      "mail alice@example.org",
               log_tail="File \"C:\\Users\\alice\\galaxybench\\x.py\", line 3\nFile \"/Users/alice/y.py\"\n"
                        "see ~/private/notes.txt; Serial Number: XYZ123SERIAL; MAC 00:1A:2B:3C:4D:5E"),
    ]
    matrix = ("# Expanded matrix of this run (from /home/alice/galaxybench/bench/presets/quick.toml).\n"
              'name = "quick"\nsource = "/home/alice/galaxybench/bench/presets/quick.toml"\n\n[[cells]]\n'
              'dataset = "h5:/home/alice/private-data/caf.h5"\n')
    return write_run(tmp_path / "run", records, env, matrix)


def test_nothing_planted_survives_anywhere_in_the_file(tmp_path):
    out = write_shared(_planted_run(tmp_path), tmp_path / "shared.json.gz", note="made on /home/alice's box")
    raw = out.read_bytes()
    text = gzip.decompress(raw).decode("utf-8")
    for what, secret in PLANTED.items():
        for form in {secret, secret.upper(), json.dumps(secret)[1:-1]}:
            assert form.encode() not in raw, what
            assert form.lower() not in text.lower(), f"{what} survived: {form}"
    assert "alice" not in text.lower()


def test_what_explains_a_speed_is_kept(tmp_path):
    shared = read_shared(write_shared(_planted_run(tmp_path), tmp_path / "shared.json.gz"))
    assert shared.env["env"] == {"OMP_NUM_THREADS": "2", "CUDA_VISIBLE_DEVICES": "<removed>"}
    assert shared.env["nvml_gpus"] == [{"index": 0, "name": "NVIDIA GeForce RTX 3070", "driver": "560.35.03",
                                        "memory_total_mb": 8192.0}]
    assert "hostname" not in shared.env and "machine_id" not in shared.env and "cwd" not in shared.env
    first, second = shared.records
    assert first["dataset_path"] == "<path>/mnist.h5"
    assert first["machine"] == "machine-1"
    assert not {"ray_node", "machine_env_id", "username", "hostname"} & set(first)
    assert first["train_img_s"] == 1000.0 and second["status"] == "error" and second["reason"]
    assert 'source = "<path>/quick.toml"' in shared.matrix
    assert 'dataset = "h5:<path>/caf.h5"' in shared.matrix
    assert personal(shared.model_dump(mode="json")) == []


@pytest.mark.parametrize("text", [
    "2026-12-06T10:11:12.123456+00:00", "tf 2.21.0, cuda 12.5.1, driver 560.35.03", "13.615.71",
    "synthetic:28x28x1:10:256", "galaxy10/densenet121", "img/s 1/2 n/a train/infer", "~10% faster, ~2x",
    "https://zenodo.org/records/10845026/files/Galaxy10_DECals.h5",
    "mnist-mnist_cnn-cpu-tauto-b32-c9d9fd06fc",
    "keras@3.15", "rapl:package-0", "ratio 3:2:1",
])
def test_ordinary_text_is_left_alone(text):
    assert Scrubber([]).text(text) == text


@pytest.mark.parametrize(("text", "expected"), [
    ("/home/alice/data/galaxy.h5", "<path>/galaxy.h5"),
    ("C:\\Users\\emily\\.astroNN\\datasets\\Galaxy10_DECals.h5 was found!",
     "<path>/Galaxy10_DECals.h5 was found!"),
    ("/home/alice.smith/notes", "<path>"),
    ("logs in /home/alice.", "logs in <path>."),
    ("/sys/class/powercap does not exist", "/sys/class/powercap does not exist"),
    ("/proc/cpuinfo's MHz", "/proc/cpuinfo's MHz"),
    ("/system/alice", "<path>"),
    ("/dev/disk/by-id/nvme-Samsung_SSD_S4EWNX0M123456", "<path>"),
    ("GPU-8f3b2a1c-1234-5678-9abc-def012345678", "<id>"),
    ("at 10.1.2.3 and ::1", "at <ip> and <ip>"),
])
def test_patterns(text, expected):
    assert Scrubber([]).text(text) == expected


def test_scrubbing_twice_changes_nothing(tmp_path):
    shared = read_shared(write_shared(_planted_run(tmp_path), tmp_path / "s.json.gz"))
    content = shared.model_dump(mode="json")
    scrub = Scrubber(["alice-workstation"])
    assert scrub.any(content) == content
