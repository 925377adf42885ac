"""`python -m bench datasets [list | download NAME | verify NAME | import NAME PATH]`."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console
from rich.table import Table

if TYPE_CHECKING:
    from datasets.verify import ReadAll

NAME = "datasets"
HELP = "list the datasets and their status; download, verify or import one"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--data-dir", type=Path, default=None, help="data folder (default: $BENCH_DATA_DIR or the user cache)"
    )
    sub = parser.add_subparsers(dest="action", metavar="ACTION")
    sub.add_parser("list", help="every dataset with its status (the default)")
    dl = sub.add_parser("download", help="download NAME over HTTPS (resumable, sha256/md5 verified)")
    dl.add_argument("name")
    dl.add_argument("--url", default=None, help="download from this mirror instead of the published URL")
    ver = sub.add_parser("verify", help="re-check NAME's checksum and HDF5 layout, and read every chunk")
    ver.add_argument("name")
    imp = sub.add_parser("import", help="take a file (or MNIST IDX folder) downloaded by hand")
    imp.add_argument("name")
    imp.add_argument("path", type=Path)


def _list(root: Path, console: Console) -> int:
    from datasets import sources
    from datasets.specs import SPECS

    table = Table(title=f"datasets in {root}")
    for col in ("name", "shape", "classes", "images", "present"):
        table.add_column(col, no_wrap=True)
    table.add_column("where", overflow="fold")
    table.add_column("verified")
    for name, spec in SPECS.items():
        st = sources.status(root, name)
        shape = "x".join(map(str, spec.image_shape))
        table.add_row(
            name,
            shape,
            str(spec.num_classes),
            f"{spec.num_examples:,}",
            "yes" if st.present else "no",
            st.where,
            st.verified,
        )
    console.print(table)
    console.print("also: h5:PATH (your own HDF5 in the Galaxy10 layout, unverified), synthetic:HxWxC:K:N")
    return 0


def _verify(root: Path, name: str, console: Console) -> int:
    from datasets import sources
    from datasets.api import open_dataset
    from datasets.paths import shown

    if not name.startswith(("h5:", "synthetic:")):
        for path in sources.candidates(root, name)[:1]:
            sources.verify_source(root, name, path, force=True)
            console.print(f"{name}: checksum ok for {shown(path)}")
    ds = open_dataset(name, data_dir=root)  # validates the HDF5 layout strictly
    read = _read_everything(ds.path)
    console.print(f"{shown(name)}: {shown(ds.path)} layout ok, {read.summary()}, splits {ds.split_sizes}, "
                  f"verified={ds.verified}")
    return 0


PROGRESS_BYTES = 256 << 20  # files above this show a progress bar while verify reads every chunk


def _read_everything(path: Path) -> ReadAll:
    """verify.read_everything, with a progress bar on stderr for a large file."""
    from rich.progress import Progress

    from datasets import verify
    from datasets.paths import shown

    if path.stat().st_size < PROGRESS_BYTES:
        return verify.read_everything(path)
    with Progress(console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task(f"reading every chunk of {shown(path.name)}", total=None)
        return verify.read_everything(path, lambda done, total: bar.update(task, completed=done, total=total))


def run(args: argparse.Namespace) -> int:
    from datasets import paths, sources

    root = paths.data_dir(args.data_dir)
    console = Console()
    action = args.action or "list"
    if action == "list":
        return _list(root, console)
    if action == "verify":
        return _verify(root, args.name, console)
    if action == "import":
        path = sources.import_source(root, args.name, args.path)
        console.print(f"{args.name}: imported and verified, reading {path}")
        return 0
    path, what = sources.download_named(root, args.name, url=args.url)
    console.print(f"{args.name}: {what}; reading {path}")
    return 0
