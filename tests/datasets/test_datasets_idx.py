"""IDX reading/writing: round trips, file discovery and clear errors on damaged files."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pytest

from steerable.datasets import find_idx_pair, load_idx_split, read_idx, write_idx


@pytest.mark.parametrize("name", ["a-idx3-ubyte", "a-idx3-ubyte.gz"])
def test_round_trip_uint8(tmp_path: Path, name: str) -> None:
    x = np.random.default_rng(0).integers(0, 256, size=(5, 28, 28), dtype=np.uint8)
    write_idx(tmp_path / name, x)
    y = read_idx(tmp_path / name)
    assert y.dtype == np.uint8 and np.array_equal(x, y)
    assert (tmp_path / name).read_bytes()[:2] == (b"\x1f\x8b" if name.endswith(".gz") else b"\x00\x00")


@pytest.mark.parametrize("dtype", [np.int8, np.int16, np.int32, np.float32, np.float64])
def test_round_trip_other_dtypes(tmp_path: Path, dtype: type) -> None:
    x = (np.arange(24).reshape(2, 3, 4) - 5).astype(dtype)
    write_idx(tmp_path / "v.idx", x)
    y = read_idx(tmp_path / "v.idx")
    assert y.dtype == np.dtype(dtype) and np.array_equal(x, y)


def test_gzip_detected_by_content_not_name(tmp_path: Path) -> None:
    x = np.arange(6, dtype=np.uint8)
    write_idx(tmp_path / "labels-idx1-ubyte", x, compress=True)
    assert np.array_equal(read_idx(tmp_path / "labels-idx1-ubyte"), x)


def test_bad_magic(tmp_path: Path) -> None:
    (tmp_path / "bad").write_bytes(b"\x01\x02\x08\x01" + b"\x00" * 8)
    with pytest.raises(ValueError, match="magic"):
        read_idx(tmp_path / "bad")


def test_truncated_data(tmp_path: Path) -> None:
    write_idx(tmp_path / "x", np.zeros((3, 4, 4), np.uint8))
    raw = (tmp_path / "x").read_bytes()
    (tmp_path / "x").write_bytes(raw[:-5])
    with pytest.raises(ValueError, match="truncated or corrupt"):
        read_idx(tmp_path / "x")


def test_truncated_header_and_tiny_file(tmp_path: Path) -> None:
    (tmp_path / "h").write_bytes(b"\x00\x00\x08\x03\x00\x00")
    with pytest.raises(ValueError, match="header"):
        read_idx(tmp_path / "h")
    (tmp_path / "t").write_bytes(b"\x00")
    with pytest.raises(ValueError, match="4-byte"):
        read_idx(tmp_path / "t")


def test_truncated_gzip(tmp_path: Path) -> None:
    blob = gzip.compress(b"\x00\x00\x08\x01" + (100).to_bytes(4, "big") + bytes(100))
    (tmp_path / "z.gz").write_bytes(blob[: len(blob) // 2])
    with pytest.raises(ValueError, match="gzip"):
        read_idx(tmp_path / "z.gz")


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="IDX file"):
        read_idx(tmp_path / "nope")


def test_write_rejects_unsupported_dtype(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="dtype"):
        write_idx(tmp_path / "c", np.zeros(3, np.complex64))


def test_find_and_load_split(idx_root: Path) -> None:
    imgs, labs = find_idx_pair(idx_root, "test")
    assert imgs.name == "t10k-images-idx3-ubyte.gz" and labs.name == "t10k-labels-idx1-ubyte.gz"
    x, y = load_idx_split(idx_root, "train")
    assert x.shape == (40, 28, 28) and x.dtype == np.uint8 and y.dtype == np.int64
    assert np.array_equal(np.bincount(y), [4] * 10)


def test_find_alternative_spelling_in_raw(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    raw.mkdir()
    write_idx(raw / "train-images.idx3-ubyte", np.zeros((2, 28, 28), np.uint8))
    write_idx(raw / "train-labels.idx1-ubyte", np.zeros(2, np.uint8))
    x, y = load_idx_split(tmp_path, "train")
    assert x.shape == (2, 28, 28) and y.shape == (2,)


def test_find_errors(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="train-images-idx3-ubyte"):
        find_idx_pair(tmp_path, "train")
    with pytest.raises(ValueError, match="split"):
        find_idx_pair(tmp_path, "valid")


def test_label_count_mismatch(tmp_path: Path) -> None:
    write_idx(tmp_path / "t10k-images-idx3-ubyte", np.zeros((3, 28, 28), np.uint8))
    write_idx(tmp_path / "t10k-labels-idx1-ubyte", np.zeros(2, np.uint8))
    with pytest.raises(ValueError, match="labels"):
        load_idx_split(tmp_path, "test")
