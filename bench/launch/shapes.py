"""Before any cell runs: does each cell's data fit its model? A model's layers need images of at least
its registry's min_side (mnist_cnn: 10x10), so digits (8x8) can never feed mnist_cnn.

Such a cell is skipped with a reason naming the fix (plan shows it, run records it without starting a
process), since a matrix is a product and one pair that cannot run must not stop the others. When every
cell of the matrix is such a cell, plan and run stop at once with a one-line error instead.
"""

from __future__ import annotations

from bench.config.cell import Cell
from bench.config.matrix import Machine, MatrixSpec, Planned, expand
from bench.errors import UserError

SHAPE_SKIP_PREFIX = "data does not fit the model: "  # how a skip written by this check begins


def image_shape(dataset: str) -> tuple[int, int, int] | None:
    """The images' HxWxC of a named or synthetic data set; None where it is unknown before reading the
    file (h5: paths, unknown names: the child's own error names those)."""
    from datasets import synthetic
    from datasets.specs import SPECS

    if dataset.startswith("synthetic:"):
        try:
            return synthetic.parse(dataset)[0]
        except UserError:
            return None
    spec = SPECS.get(dataset)
    return None if spec is None else tuple(spec.image_shape)


def unfit_reason(cell: Cell) -> str | None:
    """Why the cell's images are too small for its model, with the fix; None when they fit or are unknown."""
    from models.registry import MODELS

    model, shape = MODELS.get(cell.model), image_shape(cell.dataset)
    if model is None or shape is None or min(shape[:2]) >= model.min_side:
        return None
    side, data = model.min_side, cell.stands_for or cell.dataset
    others = [m.name for m in MODELS.values() if m.min_side <= min(shape[:2])]
    fix = f"pair {data} with {' or '.join(others)}, or " if others else ""
    return (f"{SHAPE_SKIP_PREFIX}{cell.model} needs images of at least {side}x{side}, {data} has "
            f"{shape[0]}x{shape[1]}; {fix}give {cell.model} a data set of {side}x{side} or more")


def mark_unfit(planned: list[Planned]) -> list[Planned]:
    """The planned cells with those whose data cannot fit their model turned into skips (no process)."""
    out = []
    for p in planned:
        why = None if p.skip_reason else unfit_reason(p.cell)
        out.append(Planned(p.cell, why) if why else p)
    return out


def unfit_pairs(planned: list[Planned]) -> dict[str, str]:
    """'dataset/model' -> its reason (without the prefix), for every pair skipped by this check."""
    skipped = [(p.cell, p.skip_reason or "") for p in planned]
    return {f"{cell.stands_for or cell.dataset}/{cell.model}": why.removeprefix(SHAPE_SKIP_PREFIX)
            for cell, why in skipped if why.startswith(SHAPE_SKIP_PREFIX)}


def check_matrix(spec: MatrixSpec) -> None:
    """UserError (one line) when every cell of the matrix has data too small for its model, on any machine:
    nothing of it could ever run (a matrix of digits/mnist_cnn alone)."""
    cells = expand(spec, Machine(logical_cores=1))
    unfit = [(p.cell, unfit_reason(p.cell)) for p in cells]
    if unfit and all(why for _, why in unfit):
        cell, why = unfit[0]
        pairs = {f"{c.stands_for or c.dataset}/{c.model}" for c, _ in unfit}
        more = f" (and {len(pairs) - 1} more pair(s))" if len(pairs) > 1 else ""
        pair = f"{cell.stands_for or cell.dataset}/{cell.model}"
        raise UserError(f"no cell of matrix {spec.name} can run: {pair}: "
                        f"{(why or '').removeprefix(SHAPE_SKIP_PREFIX)}{more}")
