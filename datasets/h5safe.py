"""An HDF5 file from another machine is untrusted input: these checks run before a byte of its data is
read. Its datasets must live in the file itself (an external link, external raw storage or a virtual
dataset makes HDF5 open other files: a FIFO hangs the reader, and any readable file, such as
/etc/ssl/certs/ca-certificates.crt, is read as images); their declared sizes must be bounded by the
bytes the file stores (a missing chunk reads as zeros, so 1.6 KB can declare 931 GiB of images);
text attributes must decode."""

from __future__ import annotations

import math
from pathlib import Path

import h5py
import numpy as np

from bench.errors import UserError

MAX_IMAGE_BYTES = 64 << 20  # one image: 4,096 x 4,096 x 4 (Galaxy10's are 192 KiB)
MAX_CHUNK_ROW_BYTES = 1 << 30  # one row of chunks, which a stream read holds whole (Galaxy10's: 104 MiB)
DEFLATE_MAX_RATIO = 1032  # deflate's ceiling: a 258-byte match costs at least 2 bits
NO_SIZE_CHANGE = {h5py.h5z.FILTER_SHUFFLE, h5py.h5z.FILTER_FLETCHER32}  # filters that do not compress
MAX_NAME_CHARS = 200  # one class name


def _copy_in(name: str) -> str:
    """The fix for data kept outside the file."""
    return f"copy the data into the file itself (with h5py: new[{name!r}] = old[{name!r}][()])"


def member(f: h5py.File, name: str, path: Path) -> h5py.Dataset | None:
    """The dataset ``name`` of the file's root, read through its link only when that is a hard link (an
    object stored in this file); None when there is no such member. An external link is refused before
    it is followed (following it opens another file); so is a soft or user-defined link."""
    try:
        link = f.get(name, getlink=True)
    except TypeError:  # h5py names no class for user-defined links
        raise UserError(f"{path}: {name!r} is a user-defined HDF5 link, which galaxybench does not follow; "
                        f"{_copy_in(name)}") from None
    if link is None:
        return None
    if isinstance(link, h5py.ExternalLink):
        raise UserError(f"{path}: {name!r} is an external link to {link.filename}:{link.path}, another "
                        f"file that galaxybench does not open; {_copy_in(name)}")
    if isinstance(link, h5py.SoftLink):
        raise UserError(f"{path}: {name!r} is a soft link to {link.path}; store the dataset itself under "
                        f"{name!r} (h5repack, or h5py: f.move({link.path!r}, {name!r}))")
    obj = f[name]
    if not isinstance(obj, h5py.Dataset):
        raise UserError(f"{path}: {name!r} must be a dataset, not a group; fix the file's layout")
    return obj


def check_storage(ds: h5py.Dataset, path: Path, file_size: int) -> None:
    """Refuse storage outside the file (virtual datasets, external raw storage), then bound the declared
    size by the stored bytes, reading only the dataset's metadata. The rule, by storage layout:
    contiguous: all declared bytes stored, and inside the file (offset + bytes <= the file's size);
    chunked: every chunk of the grid stored (a missing chunk reads as zeros, so a small file could
    declare any shape), the stored bytes within the file's size, and where deflate is the only filter
    that changes sizes, declared bytes <= 1,032 x stored bytes (deflate's maximum ratio); other
    compressors have no such bound, so they rest on the grid and the caps in check_image_shape;
    compact: held in the object header (64 KiB at most), nothing to bound."""
    name = ds.name.lstrip("/")
    where = f"{path}: dataset {name!r}"
    plist = ds.id.get_create_plist()
    layout = plist.get_layout()
    if layout == h5py.h5d.VIRTUAL:
        raise UserError(f"{where} is a virtual dataset (its data lives in other files, which galaxybench "
                        f"does not open); {_copy_in(name)}")
    if plist.get_external_count():
        target = plist.get_external(0)[0].decode("utf-8", "backslashreplace")
        raise UserError(f"{where} keeps its data in an external file ({target}), which galaxybench does "
                        f"not open; {_copy_in(name)}")
    declared = int(np.prod(ds.shape, dtype=object)) * ds.dtype.itemsize
    if layout == h5py.h5d.CONTIGUOUS:
        _check_contiguous(ds, where, declared, file_size)
    elif layout == h5py.h5d.CHUNKED:
        _check_chunked(ds, plist, where, declared, file_size)


def _check_contiguous(ds: h5py.Dataset, where: str, declared: int, file_size: int) -> None:
    if not declared:
        return
    offset, stored = ds.id.get_offset(), ds.id.get_storage_size()
    if offset is None or stored < declared:
        raise UserError(f"{where} declares {declared:,} bytes (shape {ds.shape}) but stores {stored:,}: "
                        "its data was never written in full; write it again")
    if offset + declared > file_size:
        raise UserError(f"{where} declares {declared:,} bytes past the end of the {file_size:,}-byte file: "
                        "it is truncated; download or copy it again")


def _check_chunked(ds: h5py.Dataset, plist: h5py.h5p.PropDCID, where: str, declared: int,
                   file_size: int) -> None:
    grid = math.prod(-(-s // c) for s, c in zip(ds.shape, ds.chunks, strict=True))
    stored_chunks = ds.id.get_num_chunks()
    if stored_chunks < grid:
        raise UserError(f"{where} declares shape {ds.shape} in {grid:,} chunks but stores only "
                        f"{stored_chunks:,} (a missing chunk reads as zeros): the file is incomplete; write "
                        "all of its data, or give the dataset the shape its data fills")
    stored = ds.id.get_storage_size()
    if stored > file_size:
        raise UserError(f"{where} claims {stored:,} stored bytes in a {file_size:,}-byte file: its chunk "
                        "index is corrupt; download or copy it again")
    filters = {plist.get_filter(i)[0] for i in range(plist.get_nfilters())}
    if h5py.h5z.FILTER_DEFLATE in filters and filters <= NO_SIZE_CHANGE | {h5py.h5z.FILTER_DEFLATE} \
            and declared > DEFLATE_MAX_RATIO * stored:
        raise UserError(f"{where} declares {declared:,} bytes (shape {ds.shape}) from {stored:,} gzip "
                        f"bytes, more than deflate's {DEFLATE_MAX_RATIO:,}:1 can inflate to: its chunks are "
                        "corrupt; download or copy it again")


def check_image_shape(images: h5py.Dataset, path: Path) -> None:
    """Caps on what one read holds: an image (MAX_IMAGE_BYTES) and a row of chunks (MAX_CHUNK_ROW_BYTES),
    so that no declared shape makes a reader allocate more than that per block."""
    image_bytes = int(np.prod(images.shape[1:], dtype=object))
    if image_bytes > MAX_IMAGE_BYTES:
        raise UserError(f"{path}: one image is {images.shape[1:]}, {image_bytes:,} bytes, more than the "
                        f"{MAX_IMAGE_BYTES:,} galaxybench reads at a time; resize the images")
    row_bytes = images.chunks[0] * image_bytes if images.chunks else 0
    if row_bytes > MAX_CHUNK_ROW_BYTES:
        raise UserError(f"{path}: its chunks span {images.chunks[0]:,} images ({row_bytes:,} bytes a row of "
                        f"chunks, more than {MAX_CHUNK_ROW_BYTES:,}); rechunk 'images' with fewer images per "
                        "chunk (h5repack -l images:CHUNK=...)")


def attribute(obj: h5py.HLObject, name: str, path: Path) -> object | None:
    """Attribute ``name`` of ``obj`` as h5py reads it, None when absent; one that h5py cannot read (an
    unsupported type, undecodable text) is a UserError naming it."""
    try:
        return obj.attrs.get(name)
    except (OSError, TypeError, ValueError, UnicodeDecodeError) as exc:
        raise UserError(f"{path}: attribute {name!r} cannot be read ({type(exc).__name__}); "
                        f"delete or rewrite it") from None


def text_list(raw: object, name: str, path: Path) -> list[str]:
    """A text attribute's values (one string, or a 1-D list), each valid UTF-8 and printable; anything
    else is a UserError naming the attribute and the fix."""
    values = np.asarray(raw, dtype=object)
    if values.ndim > 1:
        raise UserError(f"{path}: attribute {name!r} has shape {values.shape}; write it as a list of names")
    return [_text(v, i, name, path) for i, v in enumerate(np.atleast_1d(values))]


def _text(value: object, i: int, name: str, path: Path) -> str:
    fix = f"rewrite attribute {name!r} as UTF-8 text, or delete it to number the classes"
    if isinstance(value, (bytes, np.bytes_)):
        try:
            value = bytes(value).decode("utf-8")
        except UnicodeDecodeError:
            raise UserError(f"{path}: attribute {name!r} item {i} is not UTF-8 text ({bytes(value)[:40]!r}); "
                            f"{fix}") from None
    elif isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:  # h5py decodes invalid UTF-8 with surrogate escapes
            raise UserError(f"{path}: attribute {name!r} item {i} is not UTF-8 text ({value[:40]!r}); "
                            f"{fix}") from None
    else:
        value = str(value)
    if len(value) > MAX_NAME_CHARS or not value.isprintable():
        raise UserError(f"{path}: attribute {name!r} item {i} ({value[:40]!r}) is not a printable name of "
                        f"at most {MAX_NAME_CHARS} characters; {fix}")
    return value
