"""The plain sentences that lead every report and end `bench run`: the fastest setting found per pair, how
long the student's five trainings would take here against her desktop, the largest memory need, and the
noise flags. Numbers as people write them (14,400; 53.7; 3.1 h)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from bench.errors import UserError
from bench.report import among, noise
from bench.report.estimate import SEED_FIGURES_S, STUDENT, STUDENT_DESKTOP, estimates, human_seconds
from bench.report.load import Run, load_run

STUDENT_TRAININGS = "five"  # MNIST, CIFAR-10 and three Galaxy10 models (SEED_FIGURES_S)


def plain(value: float) -> str:
    """14,400 / 53.7 / 4.12: thousands separated, one decimal below 100, three digits below 10."""
    if abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:.1f}" if abs(value) >= 10 else f"{value:.3g}"


def sentences(run: Run, found: among.Among | None = None) -> list[str]:
    """The run's answers in a few sentences (one saying so for a run without an ok cell); with the run's
    place among the registry's machines, what their GPUs change."""
    ok = run.df[run.df["status"] == "ok"]
    if ok.empty:
        return ["No cell finished ok, so there is nothing to report yet: see the failed and skipped cells."]
    gpu = among.gpu_sentences(found) if found is not None else []
    return [*fastest(ok), *student_trainings(run.df), *memory(run.df), *noise_sentences(run), *gpu]


def terminal_lines(run: Run, found: among.Among | None) -> list[str]:
    """The sentences, then this machine among the registry's (what `bench run` and `bench report` print)."""
    return [*sentences(run, found), *(among.lines(found) if found is not None else [])]


def end_of_run_lines(run_dir: Path | str) -> list[str]:
    """What `bench run` prints after its last cell: the sentences and the run's place among the registry's
    machines (or why there is nothing to say)."""
    try:
        run = load_run(run_dir)
    except UserError as exc:
        return [f"no summary: {exc}"]
    return terminal_lines(run, among.place_run(run.path))


def fastest(ok: pd.DataFrame) -> list[str]:
    """One sentence per pair: its fastest training setting in words, and its best inference figure."""
    out = []
    timed = ok[(ok["mode"] == "throughput") & ok["train_img_s"].notna()]
    for pair, cells in timed.groupby("pair", sort=True):
        best = cells.loc[cells["train_img_s"].idxmax()]
        infer = cells["infer_img_s"].max()
        inference = f"; inference reached {plain(infer)} images/s" if infer == infer else ""
        synthetic = " (on synthetic data of its shape)" if best["synthetic"] == True else ""  # noqa: E712
        mark = " It ran beside another busy program (contended)." if noise.flag(best.get("contended")) else ""
        out.append(f"{pair}{synthetic} trains fastest at {plain(best['train_img_s'])} images/s with "
                   f"{setting_words(best)}{inference}.{mark}")
    return out


def setting_words(row: pd.Series) -> str:
    """'batch 64, float32, 2 threads, data in memory, on the CPU'."""
    batch = f"batch {int(row['batch_size'])}" if row["batch_size"] == row["batch_size"] else "batch ?"
    strategy = row.get("strategy")
    if isinstance(strategy, str) and strategy != "none":
        batch += f" per replica x {int(row['replicas'])} replicas ({strategy})"
    named = {"auto": "default threads", "1": "1 thread"}
    threads = named.get(str(row["threads"]), f"{row['threads']} threads")
    pipeline = "data in memory" if row["pipeline"] == "memory" else f"the {row['pipeline']} input pipeline"
    parts = [batch, str(row["precision"]), threads, pipeline]
    if row.get("jit_compile") is True:
        parts.append("XLA")
    if isinstance(row.get("backend"), str) and row["backend"] != "tensorflow":
        parts.append(f"the {row['backend']} backend")
    return ", ".join([*parts, f"on {noise.device_words(str(row['device']))}"])


def student_trainings(df: pd.DataFrame) -> list[str]:
    """How long the student's trainings (at her epochs) would take here, against her desktop's times."""
    est = estimates(df)[0]
    est = est[(est["epochs_from"] == STUDENT) & est["seed_s"].notna()]
    if est.empty:
        return []
    fastest = est.loc[est.groupby("pair")["estimate_s"].idxmin()]
    here, theirs = float(fastest["estimate_s"].sum()), float(fastest["seed_s"].sum())
    ratio = theirs / here
    speed = f"{ratio:,.1f} times faster" if ratio >= 1 else f"{1 / ratio:,.1f} times slower"
    synthetic = ("" if not fastest["synthetic"].any() else " (timed on synthetic data of the same shape)"
                 if fastest["synthetic"].all() else " (some timed on synthetic data of the same shape)")
    which = (f"The student's {STUDENT_TRAININGS} trainings" if len(fastest) == len(SEED_FIGURES_S) else
             f"{len(fastest)} of the student's {STUDENT_TRAININGS} trainings ({', '.join(fastest['pair'])})")
    return [f"{which}, at her epochs, would take about {human_seconds(here)} here{synthetic}, against "
            f"{human_seconds(theirs)} on {STUDENT_DESKTOP}: {speed} (estimated from the measured speed; "
            "hers are wall times)."]


def memory(df: pd.DataFrame) -> list[str]:
    """The largest memory need: peak RAM (and GPU memory) of an ok cell, and any cell out of memory."""
    ok = df[df["status"] == "ok"]
    out = []
    if ok["peak_rss_mb"].notna().any():
        top = ok.loc[ok["peak_rss_mb"].idxmax()]
        text = (f"The largest memory need was {plain(top['peak_rss_mb'])} MB of RAM ({top['pair']}, "
                f"batch {_batch(top)})")
        if ok["gpu_peak_mb"].notna().any():
            gpu = ok.loc[ok["gpu_peak_mb"].idxmax()]
            text += f" and {plain(gpu['gpu_peak_mb'])} MB of GPU memory ({gpu['pair']}, batch {_batch(gpu)})"
        out.append(text + ".")
    oom = df[df["status"] == "oom"]
    if not oom.empty:
        first = oom.iloc[0]
        more = f" and {len(oom) - 1:,} more" if len(oom) > 1 else ""
        out.append(f"Out of memory: {first['pair']} at batch {_batch(first)}{more}.")
    return out


def _batch(row: pd.Series) -> str:
    """The cell's batch size as a whole number ('?' when the record lacks it)."""
    return f"{int(row['batch_size']):,}" if row["batch_size"] == row["batch_size"] else "?"


def noise_sentences(run: Run) -> list[str]:
    """The noise flags in words: contended cells and a drifting run, or that the run was quiet where it
    could tell; nothing where neither was measured."""
    busy, drift = noise.contended(run.df), noise.drift_of(run.env)
    flags = []
    if not busy.empty:
        cells = f"{len(busy):,} cell{'s' * (len(busy) != 1)}"
        flags.append(f"{cells} ran beside other busy programs (contended): their figures may read low")
    if drift is not None and drift.drifting:
        flags.append("the machine's speed changed during the run (drifting; GEMM peak on "
                     f"{noise.peaks_text(drift)})")
    if flags:
        text = "; ".join(flags)
        return [text[0].upper() + text[1:] + "."]
    quiet = []
    if noise.measured(run.df):
        quiet.append("no cell ran beside another busy program")
    if drift is not None and drift.drifting is False:
        quiet.append(f"the machine's GEMM peak held steady ({noise.peaks_text(drift)})")
    return [("Quiet run: " + " and ".join(quiet) + ".")] if quiet else []
