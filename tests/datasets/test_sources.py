"""Named datasets on disk: missing data, import by hand, astroNN/Keras cache reuse, checksums, listing."""

from __future__ import annotations

import dataclasses
import hashlib
from pathlib import Path

import pytest

from bench.errors import UserError
from datasets import sources
from datasets.api import open_dataset
from datasets.specs import SPECS, synthetic_name_for


@pytest.fixture
def fake_galaxy(make_h5, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A small file in the Galaxy10 DECaLS layout, registered as the published file (its digest)."""
    path = make_h5(
        "Galaxy10_DECals.h5", n=60, shape=(256, 256, 3), k=10, compression="gzip", chunks=(1, 256, 256, 3)
    )
    spec = SPECS["galaxy10"]
    digest = "sha256:" + hashlib.sha256(path.read_bytes()).hexdigest()
    monkeypatch.setitem(
        SPECS,
        "galaxy10",
        dataclasses.replace(spec, files=(dataclasses.replace(spec.files[0], digest=digest),)),
    )
    return path


def test_decals_class_names_are_not_astronns():
    names = SPECS["galaxy10"].class_names
    assert names[3] == "In-between Round Smooth" and names[4] == "Cigar Shaped Smooth" and len(names) == 10


def test_synthetic_name_for():
    assert synthetic_name_for("galaxy10", 2048) == "synthetic:256x256x3:10:2048"
    with pytest.raises(UserError, match="unknown dataset"):
        synthetic_name_for("imagenet", 5)


@pytest.mark.parametrize("name", ["cifar10", "galaxy10", "galaxy10_sdss"])  # mnist: its test set ships
def test_missing_data_says_how_to_get_it(name: str, data_dir: Path, tmp_path: Path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    with pytest.raises(UserError) as exc:
        open_dataset(name)
    msg = str(exc.value)
    assert "\n" not in msg and f"python -m bench datasets download {name}" in msg
    assert f"python -m bench datasets import {name} PATH" in msg


def test_unknown_name_and_wrong_h5_path(data_dir: Path):
    with pytest.raises(UserError, match="unknown dataset 'imagenet'"):
        open_dataset("imagenet")
    with pytest.raises(UserError, match="does not exist"):
        open_dataset("h5:/no/such/file.h5")


def test_import_galaxy_reads_in_place_and_verifies(
    fake_galaxy: Path, data_dir: Path, tmp_path: Path, monkeypatch
):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert sources.import_source(data_dir, "galaxy10", fake_galaxy) == fake_galaxy
    ds = open_dataset("galaxy10")
    assert ds.verified and ds.path == fake_galaxy and ds.class_names[3] == "In-between Round Smooth"
    assert sum(ds.split_sizes.values()) == 60 and (data_dir / "galaxy10" / "splits-seed0.npz").exists()
    assert sources.status(data_dir, "galaxy10").verified == "yes"


def test_astronn_cache_is_reused_after_verification(
    fake_galaxy: Path, data_dir: Path, tmp_path: Path, monkeypatch
):
    home = tmp_path / "home"
    cache = home / ".astroNN" / "datasets" / "Galaxy10_DECals.h5"
    cache.parent.mkdir(parents=True)
    fake_galaxy.rename(cache)
    monkeypatch.setenv("HOME", str(home))
    path, what = sources.download_named(data_dir, "galaxy10", url="http://127.0.0.1:9/never-used")
    assert path == cache and "reused verified" in what
    assert open_dataset("galaxy10").path == cache


def test_bad_checksum_of_an_existing_file_is_refused(make_h5, data_dir: Path, tmp_path: Path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    path = make_h5("Galaxy10_DECals.h5", n=20, shape=(256, 256, 3), k=10)
    with pytest.raises(UserError, match="checksum mismatch") as exc:
        sources.import_source(data_dir, "galaxy10", path)
    assert "\n" not in str(exc.value)
    (data_dir / "galaxy10").mkdir()
    path.rename(data_dir / "galaxy10" / "Galaxy10_DECals.h5")
    with pytest.raises(UserError, match="checksum mismatch"):
        open_dataset("galaxy10")


def test_import_of_a_missing_path(data_dir: Path, tmp_path: Path):
    with pytest.raises(UserError, match="does not exist"):
        sources.import_source(data_dir, "cifar10", tmp_path / "nope.tar.gz")


def test_listing_status(mnist_dir: Path, data_dir: Path, tmp_path: Path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert not sources.status(data_dir, "cifar10").present
    assert sources.only_bundled(data_dir, "mnist")  # present as the shipped test set only
    sources.import_source(data_dir, "mnist", mnist_dir / "t10k-images-idx3-ubyte.gz")
    st = sources.status(data_dir, "mnist")
    assert st.present and st.verified == "yes" and "10000 of 70000" in st.where
