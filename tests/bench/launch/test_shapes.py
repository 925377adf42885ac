"""A cell whose images are smaller than its model's layers allow (the registry's min_side) is skipped with
the fix named before anything runs, and a matrix of only such cells is a one-line error."""

from __future__ import annotations

import pytest

from bench.config.cell import Cell
from bench.config.matrix import Planned, parse_matrix
from bench.errors import UserError
from bench.launch.shapes import (
    SHAPE_SKIP_PREFIX,
    check_matrix,
    image_shape,
    mark_unfit,
    unfit_pairs,
    unfit_reason,
)
from models.registry import MODELS


def test_digits_cannot_feed_mnist_cnn_and_the_reason_names_the_fix():
    why = unfit_reason(Cell("digits", "mnist_cnn"))
    assert MODELS["mnist_cnn"].min_side == 10
    assert why == (f"{SHAPE_SKIP_PREFIX}mnist_cnn needs images of at least 10x10, digits has 8x8; pair "
                   "digits with cifar_cnn, or give mnist_cnn a data set of 10x10 or more")
    assert unfit_reason(Cell("digits", "cifar_cnn")) is None
    assert unfit_reason(Cell("mnist", "mnist_cnn")) is None


@pytest.mark.parametrize(("dataset", "model", "fits"), [
    ("synthetic:8x8x1:10:64", "densenet121", False),  # synthetic data of digits' shape
    ("synthetic:32x32x3:10:64", "densenet121", True),
    ("galaxy10", "densenet121", True),
    ("h5:/nowhere.h5", "densenet121", True),  # shape unknown before reading: the child decides
    ("digits", "m_raise", True),  # a test's made-up model: not in the registry
])
def test_shapes_of_synthetic_named_and_unknown_data(dataset, model, fits):
    assert (unfit_reason(Cell(dataset, model)) is None) == fits


def test_a_synthetic_stand_in_is_named_after_the_data_it_stands_for():
    why = unfit_reason(Cell("synthetic:8x8x1:10:64", "densenet121", stands_for="digits"))
    assert "digits has 8x8" in why and image_shape("synthetic:8x8x1:10:64") == (8, 8, 1)


def test_marking_keeps_other_skip_reasons_and_names_the_pair():
    planned = [Planned(Cell("digits", "mnist_cnn")), Planned(Cell("digits", "cifar_cnn")),
               Planned(Cell("digits", "mnist_cnn", device="gpu:3"), "gpu:3 requested but ...")]
    marked = mark_unfit(planned)
    assert marked[0].skip_reason.startswith(SHAPE_SKIP_PREFIX)
    assert marked[1].skip_reason is None and marked[2].skip_reason == "gpu:3 requested but ..."
    assert list(unfit_pairs(marked)) == ["digits/mnist_cnn"]


def test_a_matrix_of_only_unfit_cells_is_one_line_and_a_mixed_one_is_not():
    only = parse_matrix({"axes": {"pairs": ["digits/mnist_cnn"], "batch_size": [16, 32]}}, source="m.toml",
                        default_name="m")
    with pytest.raises(UserError, match=r"^no cell of matrix m can run: digits/mnist_cnn: mnist_cnn needs "):
        check_matrix(only)
    mixed = parse_matrix({"axes": {"pairs": ["digits/mnist_cnn", "digits/cifar_cnn"]}}, source="m.toml",
                         default_name="m")
    check_matrix(mixed)  # the unfit cells are skipped, the others run
