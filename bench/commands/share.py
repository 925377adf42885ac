"""`python -m bench share RUN_DIR [-o FILE] [--label TEXT]`: one run as a shared result file."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

NAME = "share"
HELP = ("write a run as one shared result file (gzip JSON: records, machine, matrix, versions; nothing "
        "personal) to compare with others or add to results/machines")
DEFAULT_NAME = "shared.json.gz"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The command's arguments."""
    parser.add_argument("run_dir", type=Path, metavar="RUN_DIR", help="run folder (holds results.jsonl)")
    parser.add_argument("-o", "--out", type=Path, default=None, metavar="FILE",
                        help=f"file to write (default: RUN_DIR/{DEFAULT_NAME})")
    parser.add_argument("--label", default=None, metavar="TEXT",
                        help="short name of the machine, e.g. 'Ryzen 7 7800X3D, RTX 3070, 32 GB' (default: "
                             "built from env.json: CPU, first GPU or core count, RAM)")
    parser.add_argument("--note", default="", metavar="TEXT",
                        help="anything a reader should know about how the run was made (e.g. another "
                             "job shared the cores)")


def run(args: argparse.Namespace) -> int:
    """Write the file and say what it holds and where it can go."""
    from bench.results.shared import REGISTRY, SUFFIX, build_shared, write_result

    result = build_shared(args.run_dir, args.label, args.note)
    out = args.out or Path(args.run_dir) / DEFAULT_NAME
    write_result(result, out)
    ok = sum(r.get("status") == "ok" for r in result.records)
    print(f"wrote {out} ({result.label}: {len(result.records)} records, {ok} ok, "
          f"{len(result.records) - ok} not ok with their reasons)")
    print("left out: host and user names, absolute paths, IP and MAC addresses, serial numbers and ids, "
          "environment variables (docs/guide/machines.md lists what)")
    slug = re.sub(r"[^a-z0-9]+", "-", result.label.lower()).strip("-")
    print(f"to add this machine to the registry: copy it to results/{REGISTRY.name}/{slug}{SUFFIX} and open "
          f"a pull request; `python -m bench machines {out}` shows it among the others")
    return 0
