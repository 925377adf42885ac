"""env.json's CPU fields: py-cpuinfo's model, flags and clocks on every OS; the runner's model handed on."""

from __future__ import annotations

import platform

from bench import envinfo


def test_cpu_details_come_from_py_cpuinfo(monkeypatch):
    monkeypatch.delenv(envinfo.CPU_MODEL_ENV, raising=False)
    details = envinfo.cpu_details()
    assert set(details) <= set(envinfo.CPU_KEYS) and details["arch"] and details["bits"] in (32, 64)
    assert envinfo.cpu_model() == (details.get("brand_raw") or platform.processor() or platform.machine())
    if platform.machine() in envinfo.X86:
        assert details["brand_raw"] and "sse2" in details["flags"]  # every x86-64 CPU has SSE2


def test_a_cell_takes_the_runners_cpu_model(monkeypatch):
    monkeypatch.setenv(envinfo.CPU_MODEL_ENV, "Made-Up CPU 9000")
    assert envinfo.cpu_model() == "Made-Up CPU 9000"


def test_host_info_has_the_cpu_and_its_clock():
    info = envinfo.host_info()
    assert info["cpu"] == envinfo.cpu_details() and info["cpu_model"]
    freq = info["cpu_freq_mhz"]
    assert freq is None or all(v is None or v > 0 for v in freq.values())
