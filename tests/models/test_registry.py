"""The registry: the seed's pairs, lookups with a clear error, and no TensorFlow on import."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bench.errors import UserError
from models.registry import MODELS, SEED_PAIRS, get_model


def test_seed_pairs_name_registered_models_that_list_the_dataset() -> None:
    assert SEED_PAIRS == [
        ("mnist", "mnist_cnn"),
        ("cifar10", "cifar_cnn"),
        ("galaxy10", "galaxy_cnn"),
        ("galaxy10", "galaxy_deep"),
        ("galaxy10", "densenet121"),
    ]
    for dataset, model in SEED_PAIRS:
        assert dataset in MODELS[model].datasets


def test_get_model_returns_the_spec() -> None:
    spec = get_model("galaxy_deep")
    assert (spec.name, spec.default_input) == ("galaxy_deep", (256, 256, 3))


def test_unknown_model_is_a_user_error_listing_names() -> None:
    with pytest.raises(UserError, match="unknown model 'resnet'.*mnist_cnn.*densenet121"):
        get_model("resnet")


def test_importing_the_registry_does_not_import_tensorflow() -> None:
    code = "import sys, models.registry; sys.exit('tensorflow' in sys.modules or 'keras' in sys.modules)"
    repo = Path(__file__).resolve().parents[2]
    assert subprocess.run([sys.executable, "-c", code], cwd=repo, check=False).returncode == 0
