"""Energy of a cell's training: CPU packages (RAPL via /sys/class/powercap) and GPUs (NVML).

Sources are whole-device counters: RAPL counts the whole CPU package (every process on it, not just
the cell) and NVML the whole GPU. A source that cannot be read is never recorded as 0 J: its field
stays absent and ``unavailable`` says why. One daemon thread polls every source ~10 times a second:
RAPL's counter wraps (max_energy_range_uj) and is read often enough to count every wrap, GPUs
without NVML's total-energy counter (pre-Volta) are sampled for power and integrated (trapezoid).
"""

from __future__ import annotations

import os
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import keras

from bench.cell.trackers.measured import Measured

POWERCAP_ENV = "BENCH_POWERCAP_ROOT"  # tests point this at a fake sysfs tree
POWERCAP_ROOT = "/sys/class/powercap"
POLL_S = 0.1
J_PER_KWH = 3.6e6
CPU_CELL_NO_GPU = "cpu cell: no GPU visible to this process"


class Source(Protocol):
    """One energy counter: begin() at the window's start, poll() on the meter's thread, end() -> J."""

    name: str
    kind: str  # "cpu" or "gpu"
    method: str  # "counter" or "power sampling"

    def begin(self) -> None: ...

    def poll(self) -> None: ...

    def end(self) -> float: ...


class RaplPackage:
    """A RAPL package domain (intel-rapl:N): microjoule counter that wraps at max_energy_range_uj."""

    kind, method = "cpu", "counter"

    def __init__(self, domain: Path) -> None:
        self.path = domain / "energy_uj"
        self.name = f"rapl:{(domain / 'name').read_text(encoding='utf-8').strip()}"
        self.range_uj = int((domain / "max_energy_range_uj").read_text(encoding="utf-8"))
        self._last = self._read()
        self._total_uj = 0

    def _read(self) -> int:
        return int(self.path.read_text(encoding="utf-8"))

    def begin(self) -> None:
        self._last, self._total_uj = self._read(), 0

    def poll(self) -> None:
        now = self._read()
        self._total_uj += (now - self._last) % (self.range_uj + 1)  # a smaller reading wrapped past range
        self._last = now

    def end(self) -> float:
        self.poll()
        return self._total_uj / 1e6


def powercap_root() -> Path:
    """Where the powercap sysfs tree is: $BENCH_POWERCAP_ROOT, else /sys/class/powercap."""
    return Path(os.environ.get(POWERCAP_ENV) or POWERCAP_ROOT)


def rapl_sources(root: Path | None = None) -> tuple[list[Source], str | None]:
    """The readable top-level package domains under root, or why CPU energy cannot be read."""
    root = root or powercap_root()
    if not root.is_dir():
        return [], f"RAPL unavailable: {root} does not exist (no powercap interface on this machine)"
    domains = sorted(d for d in root.glob("intel-rapl:*") if d.name.count(":") == 1)
    try:
        packages = [RaplPackage(d) for d in domains
                    if (d / "name").read_text(encoding="utf-8").startswith("package")]
    except PermissionError as exc:
        return [], (f"RAPL unavailable: {exc.filename or root} is not readable (PermissionError; "
                    "energy_uj is root-only on recent kernels: run as root or make it readable)")
    except (OSError, ValueError) as exc:
        return [], f"RAPL unavailable: reading {root} failed: {exc}"
    if not packages:
        return [], f"RAPL unavailable: no intel-rapl:N package domain under {root}"
    return packages, None


class NvmlCounter:
    """A GPU's total-energy counter (nvmlDeviceGetTotalEnergyConsumption, millijoules, Volta+)."""

    kind, method = "gpu", "counter"

    def __init__(self, nvml: Any, handle: Any, index: int) -> None:
        self.nvml, self.handle, self.name = nvml, handle, f"nvml:gpu:{index}"
        self._start_mj = self._read()

    def _read(self) -> int:
        return int(self.nvml.nvmlDeviceGetTotalEnergyConsumption(self.handle))

    def begin(self) -> None:
        self._start_mj = self._read()

    def poll(self) -> None:
        pass

    def end(self) -> float:
        return (self._read() - self._start_mj) / 1e3


class NvmlPowerSampler:
    """A GPU's power draw (nvmlDeviceGetPowerUsage, milliwatts) sampled per poll, integrated by trapezoid."""

    kind, method = "gpu", "power sampling"

    def __init__(self, nvml: Any, handle: Any, index: int) -> None:
        self.nvml, self.handle, self.name = nvml, handle, f"nvml:gpu:{index}"
        self._last = self._sample()
        self._joules = 0.0

    def _sample(self) -> tuple[float, float]:
        return time.perf_counter(), self.nvml.nvmlDeviceGetPowerUsage(self.handle) / 1e3

    def begin(self) -> None:
        self._last, self._joules = self._sample(), 0.0

    def poll(self) -> None:
        (t0, w0), (t1, w1) = self._last, self._sample()
        self._joules += (t1 - t0) * (w0 + w1) / 2
        self._last = (t1, w1)

    def end(self) -> float:
        self.poll()
        return self._joules


def nvml_init() -> tuple[Any, str | None]:
    """The initialised pynvml module, or None and why NVML cannot be used (shared by energy and clocks)."""
    try:
        import pynvml

        pynvml.nvmlInit()
    except Exception as exc:  # ImportError, or NVMLError (no driver / library) from nvmlInit
        return None, f"NVML unavailable: {exc}"
    return pynvml, None


def nvml_sources(gpus: list[int]) -> tuple[list[Source], Any, str | None]:
    """Per GPU the energy counter, else power sampling; the pynvml module (to shut down), or why not."""
    if not gpus:
        return [], None, CPU_CELL_NO_GPU
    pynvml, why = nvml_init()
    if pynvml is None:
        return [], None, why
    sources: list[Source] = []
    try:
        for index in gpus:
            handle = pynvml.nvmlDeviceGetHandleByIndex(index)
            try:
                sources.append(NvmlCounter(pynvml, handle, index))
            except pynvml.NVMLError as exc:  # NotSupported before Volta
                print(f"nvml:gpu:{index}: no total-energy counter ({exc}); sampling power", file=sys.stderr)
                sources.append(NvmlPowerSampler(pynvml, handle, index))
    except pynvml.NVMLError as exc:
        pynvml.nvmlShutdown()
        return [], None, f"NVML unavailable: {exc}"
    return sources, pynvml, None


@dataclass
class Reading:
    """What a meter measured: joules per source over window_s, and why anything is missing."""

    window_s: float | None = None
    joules: dict[str, float] = field(default_factory=dict)
    kinds: dict[str, str] = field(default_factory=dict)
    methods: dict[str, str] = field(default_factory=dict)
    unavailable: dict[str, str] = field(default_factory=dict)
    failed: list[str] = field(default_factory=list)  # "name: error" of sources that failed mid-run


class EnergyMeter:
    """Reads every available source between start() and stop(), polling them on a daemon thread."""

    def __init__(self, sources: list[Source], unavailable: dict[str, str], nvml: Any = None,
                 poll_s: float = POLL_S) -> None:
        self.sources, self.poll_s, self._nvml = sources, poll_s, nvml
        self.reading = Reading(unavailable=dict(unavailable))
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)
        self._t0: float | None = None

    @classmethod
    def for_gpus(cls, gpus: list[int]) -> EnergyMeter:
        """A meter over the CPU packages and these GPUs (NVML indices: bench.config.devices.gpu_indices),
        with reasons for each absent kind."""
        cpu, cpu_why = rapl_sources()
        gpu, nvml, gpu_why = nvml_sources(gpus)
        why = {k: v for k, v in (("cpu_energy_j", cpu_why), ("gpu_energy_j", gpu_why)) if v}
        return cls(cpu + gpu, why, nvml)

    @property
    def started(self) -> bool:
        return self._t0 is not None

    def start(self) -> None:
        """Begin the window: read every source, then poll them until stop()."""
        for source in list(self.sources):
            self._guard(source, source.begin)
        self._t0 = time.perf_counter()
        if self.sources:  # nothing to poll on a machine without sources
            self._thread.start()

    def _poll(self) -> None:
        while not self._stop.wait(self.poll_s):
            for source in list(self.sources):
                self._guard(source, source.poll)

    def _guard(self, source: Source, step: Any) -> Any:
        """Run one read of a source; a failing source is dropped with its error as the reason."""
        try:
            return step()
        except Exception as exc:  # OSError from sysfs, NVMLError from the driver
            self.sources.remove(source)
            self.reading.failed.append(f"{source.name}: {exc}")
            self.reading.unavailable[f"{source.kind}_energy_j"] = f"{source.name} failed mid-run: {exc}"
            return None

    def stop(self) -> Reading:
        """End the window: final reads, joules per source; NVML is shut down."""
        if self._t0 is None:
            self._shutdown()
            return self.reading
        self._stop.set()
        if self._thread.ident is not None:
            self._thread.join(timeout=5)
        self.reading.window_s = time.perf_counter() - self._t0
        for source in list(self.sources):
            joules = self._guard(source, source.end)
            if joules is not None:
                self.reading.joules[source.name] = joules
                self.reading.kinds[source.name] = source.kind
                self.reading.methods[source.name] = source.method
        self._shutdown()
        return self.reading

    def _shutdown(self) -> None:
        """Release NVML (once)."""
        if self._nvml is not None:
            self._nvml.nvmlShutdown()
            self._nvml = None


class EnergyCallback(keras.callbacks.Callback):
    """Starts a meter when training batch `start_batch` (counted over all epochs) begins and stops it
    at train end; counts the batches per epoch measured so the images trained are known."""

    def __init__(self, meter: EnergyMeter, start_batch: int = 0) -> None:
        super().__init__()
        self.meter, self.start_batch = meter, start_batch
        self.batches_per_epoch: list[int] = []
        self._seen = 0
        self.reading: Reading | None = None

    def on_epoch_begin(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        self.batches_per_epoch.append(0)

    def on_train_batch_begin(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        if self._seen == self.start_batch and not self.meter.started:
            self.meter.start()
        self._seen += 1

    def on_train_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        if self.meter.started:
            self.batches_per_epoch[-1] += 1

    def on_train_end(self, logs: dict[str, Any] | None = None) -> None:
        self.reading = self.meter.stop()

    def images(self, batch_size: int, epoch_examples: int | None = None) -> int:
        """Images trained while metered: batches x batch size, capped per epoch at epoch_examples
        (an epoch's last batch is partial)."""
        per_epoch = [n * batch_size for n in self.batches_per_epoch]
        return sum(min(n, epoch_examples) if epoch_examples else n for n in per_epoch)


def energy_callback(gpus: list[int], start_batch: int = 0) -> EnergyCallback:
    """The callback to add to model.fit: meters the CPU packages and these GPUs from `start_batch` on."""
    return EnergyCallback(EnergyMeter.for_gpus(gpus), start_batch)


def energy_fields(reading: Reading | None, images: int) -> Measured:
    """Record fields of a reading over `images` training images, and {field: reason} for the rest."""
    if reading is None or reading.window_s is None:
        why = "energy meter never started: training ended before the metered batch"
        return Measured({}, (reading.unavailable if reading else {}) | {"energy_j": why})
    unavailable = dict(reading.unavailable)
    if not reading.joules:
        why = "no energy source: " + "; ".join(unavailable.values())
        missing = ("energy_j", "train_j_per_img", "train_img_per_kwh")
        return Measured({}, unavailable | dict.fromkeys(missing, why))
    fields: dict[str, Any] = {"energy_sources": list(reading.joules), "energy_method": dict(reading.methods),
                              "energy_window_s": reading.window_s, "energy_j": sum(reading.joules.values())}
    for kind in ("cpu", "gpu"):
        parts = [j for name, j in reading.joules.items() if reading.kinds[name] == kind]
        if parts and f"{kind}_energy_j" not in unavailable:  # no partial total when one of its sources failed
            fields[f"{kind}_energy_j"] = sum(parts)
    if reading.failed:
        why = "a source failed mid-run, energy_j covers energy_sources only: " + "; ".join(reading.failed)
        return Measured(fields, unavailable | {"train_j_per_img": why, "train_img_per_kwh": why})
    if images <= 0 or fields["energy_j"] <= 0:
        why = f"{images} images and {fields['energy_j']:g} J over the window: no per-image energy"
        return Measured(fields, unavailable | {"train_j_per_img": why, "train_img_per_kwh": why})
    fields["train_j_per_img"] = fields["energy_j"] / images
    fields["train_img_per_kwh"] = J_PER_KWH / fields["train_j_per_img"]
    return Measured(fields, unavailable)
