"""The MNIST test set shipped with the project: checked against the published digests, used only when
no full copy is here, never taken for a download of the whole data set."""

from __future__ import annotations

import shutil
from pathlib import Path

import h5py
import pytest

from bench.errors import UserError
from datasets import checksum, sources
from datasets.specs import SPECS

# sha256 of the decompressed content, computed here and written in datasets/bundled/README.md.
CONTENT_SHA256 = {
    "t10k-images-idx3-ubyte.gz": "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
    "t10k-labels-idx1-ubyte.gz": "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
}


@pytest.mark.parametrize("name", sorted(CONTENT_SHA256))
def test_shipped_files_hold_the_published_content(name: str):
    path = sources.BUNDLED["mnist"] / name
    published = {f.name: f.content_digest for f in SPECS["mnist"].alt_files}[name]
    assert checksum.matches(path, published, content=True)
    assert checksum.matches(path, f"sha256:{CONTENT_SHA256[name]}", content=True)
    assert CONTENT_SHA256[name] in (sources.BUNDLED["mnist"].parent / "README.md").read_text()


def test_a_fresh_data_dir_reads_the_shipped_test_set(data_dir: Path, tmp_path: Path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))  # no Keras cache of mnist.npz
    st = sources.status(data_dir, "mnist")
    assert st.present and "shipped with galaxybench" in st.where and sources.only_bundled(data_dir, "mnist")
    h5, verified = sources.prepare(data_dir, "mnist")
    assert verified
    with h5py.File(h5, "r") as f:
        assert len(f["ans"]) == 10_000
    assert sources.only_bundled(data_dir, "mnist")


def test_a_full_copy_takes_the_place_of_the_shipped_subset(data_dir: Path, tmp_path: Path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    sources.prepare(data_dir, "mnist")  # converted from the shipped files
    other = tmp_path / "idx"  # stands for a full copy found later (same files, another place)
    shutil.copytree(sources.BUNDLED["mnist"], other)
    sources.import_source(data_dir, "mnist", other)
    assert not sources.only_bundled(data_dir, "mnist")
    h5, _ = sources.prepare(data_dir, "mnist")
    with h5py.File(h5, "r") as f:
        assert f.attrs["source"] == str(other.resolve())


def test_download_never_reuses_the_shipped_subset(data_dir: Path, tmp_path: Path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    with pytest.raises(UserError):  # offline: the download itself fails, nothing "reused"
        sources.download_named(data_dir, "mnist", url="http://127.0.0.1:9/mnist.npz", quiet=True)
