"""The Model 2 layout search: arithmetic counts against Keras, the space's rules, and the choice."""

from __future__ import annotations

import itertools

import keras
import pytest

from models import galaxy_deep, search
from models.flops import forward_flops
from models.registry import MODELS
from models.search import Layout

SEED_MODEL2 = 3_532_314


def _keras(layout: Layout) -> keras.Model:
    """The layout built as Keras layers, with Model 1's head (no augmentation: it has no weights)."""
    inputs = keras.Input((search.INPUT_SIDE, search.INPUT_SIDE, search.CHANNELS))
    x = inputs
    for f, k, pad, pool in zip(layout.filters, layout.kernels, layout.paddings, layout.pools, strict=True):
        x = keras.layers.Conv2D(f, k, padding=pad)(x)
        x = keras.layers.MaxPooling2D()(x) if pool else x
    x = keras.layers.Dense(search.DENSE)(keras.layers.Flatten()(x))
    return keras.Model(inputs, keras.layers.Dense(search.CLASSES)(x))


def _chosen() -> Layout:
    """galaxy_deep's layout as a search Layout."""
    filters, kernels, paddings, pools = zip(*galaxy_deep.CONVS, strict=True)
    return Layout(filters, kernels, paddings, pools)


LAYOUTS = [
    _chosen(),
    Layout((8, 8, 16, 32, 64, 64, 112), (10, 7, 7, 6, 2, 2, 1), ("same", "valid", "valid", "valid", "same",
           "same", "same"), (True, True, True, False, False, False, False)),
    Layout((8, 16, 16, 24, 24, 48, 96), (10, 9, 5, 5, 3, 3, 1), ("valid",) * 7,
           (True, False, True, False, True, False, True)),
]


@pytest.mark.parametrize("layout", LAYOUTS, ids=lambda lay: lay.describe())
def test_arithmetic_counts_match_keras(layout: Layout) -> None:
    model = _keras(layout)
    assert layout.params() == model.count_params()
    assert layout.forward_flops() == forward_flops(model)


def test_model1_flops_match_galaxy_cnn_as_built() -> None:
    spec = MODELS["galaxy_cnn"]
    assert search.model1_forward_flops() == forward_flops(spec.build(spec.default_input, 10))


def test_no_model1_layout_has_either_seed_count() -> None:
    """Its Dense(64) input is 64 x side^2: neither count leaves a whole multiple of 64."""
    needed = search.model1_exact_counts()
    assert set(needed) == {3_532_314, 3_649_546}
    assert all(not (n.is_integer() and n % 64 == 0) for n in needed.values())
    galaxy_cnn = MODELS["galaxy_cnn"].build((256, 256, 3), 10).count_params()
    assert galaxy_cnn == 57_034 + 64 * 30 * 30 * 64  # the closest layout, 'valid' padding


def test_sequences_follow_the_seed_words() -> None:
    filters = search.filter_sequences(search.CONVENTIONAL_FILTERS)
    assert (filters[:, 0] == 8).all()
    assert ((filters[:, 1:] >= filters[:, :-1]) & (filters[:, 1:] <= 2 * filters[:, :-1])).all()
    for ks in search.kernel_sequences(search.CONVENTIONAL_KERNELS):
        assert ks[0] == 10 and list(ks) == sorted(ks, reverse=True)


def test_reachable_sides_agree_with_enumeration() -> None:
    kernels = (10, 5, 5, 3, 3, 3, 3)
    sides = set()
    for pads in itertools.product(("same", "valid"), repeat=7):
        for n in (3, 4):
            for where in itertools.combinations(range(7), n):
                sides.add(Layout((8,) * 7, kernels, pads, tuple(i in where for i in range(7))).sides()[-1])
    assert search.reachable_sides(kernels) == sides - {0}


def test_conventional_search_finds_galaxy_deep_first_and_only_exact_counts() -> None:
    found = search.rank(search.search(SEED_MODEL2, search.CONVENTIONAL_KERNELS, search.CONVENTIONAL_FILTERS))
    assert {lay.params() for lay in found} == {SEED_MODEL2}
    sequences = {(lay.filters, lay.kernels) for lay in found}
    assert sequences == {((8, 16, 24, 32, 32, 64, 64), (10, 5, 5, 3, 3, 3, 3))}
    assert found[0] == _chosen()
    assert found[1].describe().endswith("pool after 1,2,3, valid on 2,3")  # the docstring's runner-up
    assert search.time_ratio(found[0]) == pytest.approx(0.601, abs=0.001)


def test_other_reading_has_one_conventional_sequence() -> None:
    found = search.rank(search.search(3_649_546, search.CONVENTIONAL_KERNELS, search.CONVENTIONAL_FILTERS))
    assert len(found) == 6
    sequences = {(lay.filters, lay.kernels) for lay in found}
    assert sequences == {((8, 16, 24, 48, 64, 96, 96), (10, 3, 3, 3, 3, 3, 1))}
    assert search.time_ratio(found[0]) == pytest.approx(0.533, abs=0.001)


def test_galaxy_deep_is_the_seed_count_and_its_flops() -> None:
    spec = MODELS["galaxy_deep"]
    model = spec.build(spec.default_input, 10)
    assert model.count_params() == spec.seed_params == _chosen().params()
    assert forward_flops(model) == _chosen().forward_flops() == 577_334_720


@pytest.mark.slow
def test_whole_space_counts_as_documented() -> None:
    """The figures in galaxy_deep's docstring and docs/figures/models.md (half a minute per count)."""
    found = search.search(SEED_MODEL2)
    assert len(found) == 90_820
    assert sum(abs(search.time_ratio(lay) - search.SEED_TIME_RATIO) <= 0.05 for lay in found) == 222
    assert len(search.search(3_649_546)) == 68_570
