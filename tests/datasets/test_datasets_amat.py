"""The original MNIST-rot .amat reader and MNISTRot (splits, zip, cache, offline download)."""

from __future__ import annotations

import io
import urllib.error
import urllib.request
import zipfile
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

import steerable.datasets.amat as amat_mod
from steerable.datasets import MNISTRot, download_mnist_rot, get_dataset, read_amat
from steerable.datasets.amat import AMAT_TEST, AMAT_TRAIN_VALID


def test_transposition_is_undone() -> None:
    # Column-major storage: flat index 1 is row 1, column 0 of the displayed digit.
    row = ["0"] * 784
    row[1] = "1"
    x, y = read_amat(io.BytesIO((" ".join(row) + " 3\n").encode()))
    assert x[0, 1, 0] == 1.0 and x[0].sum() == 1.0 and y.tolist() == [3]
    xt, _ = read_amat(io.BytesIO((" ".join(row) + " 3\n").encode()), transpose=False)
    assert xt[0, 0, 1] == 1.0


def test_round_trip_matches_digits(tmp_path: Path, fake: SimpleNamespace) -> None:
    x, y = fake.make_digits(per_class=1)
    fake.write_amat(tmp_path / "a.amat", x, y)
    xr, yr = read_amat(tmp_path / "a.amat")
    assert xr.dtype == np.float32 and yr.dtype == np.int64
    assert np.allclose(xr * 255, x, atol=1e-3) and np.array_equal(yr, y)


def test_bad_files(tmp_path: Path) -> None:
    (tmp_path / "short.amat").write_text("0.1 0.2 3\n")
    with pytest.raises(ValueError, match="785"):
        read_amat(tmp_path / "short.amat")
    (tmp_path / "ragged.amat").write_text(" ".join(["0"] * 785) + "\n" + "0 1\n")
    with pytest.raises(ValueError, match="785"):
        read_amat(tmp_path / "ragged.amat")
    (tmp_path / "lab.amat").write_text(" ".join(["0"] * 784) + " 2.5\n")
    with pytest.raises(ValueError, match="labels"):
        read_amat(tmp_path / "lab.amat")
    (tmp_path / "pix.amat").write_text(" ".join(["3"] * 784) + " 2\n")
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        read_amat(tmp_path / "pix.amat")
    with pytest.raises(FileNotFoundError):
        read_amat(tmp_path / "missing.amat")


@pytest.fixture
def amat_root(tmp_path: Path, fake: SimpleNamespace) -> Path:
    root = tmp_path / "mnist_rot"
    root.mkdir()
    x, y = fake.make_digits(per_class=2)  # 20 rows stand in for 12,000 / 50,000
    fake.write_amat(root / AMAT_TRAIN_VALID, x[:12], y[:12])
    fake.write_amat(root / AMAT_TEST, x[12:], y[12:])
    return root


def test_mnistrot_splits(amat_root: Path) -> None:
    sizes = {s: len(MNISTRot(amat_root, s)) for s in ("train", "valid", "train_valid", "test")}
    assert sizes == {"train": 10, "valid": 2, "train_valid": 12, "test": 8}
    ds = MNISTRot(amat_root, "valid", pad_to=33)
    assert ds.images.shape == (2, 1, 33, 33) and ds.labels.dtype.is_floating_point is False
    full = MNISTRot(amat_root, "train_valid", pad_to=28)
    assert np.array_equal(full.images[10:].numpy(), MNISTRot(amat_root, "valid", pad_to=28).images.numpy())
    with pytest.raises(ValueError, match="split"):
        MNISTRot(amat_root, "validation")


def test_mnistrot_cache_and_zip(amat_root: Path, tmp_path: Path) -> None:
    cache = tmp_path / "c"
    a = MNISTRot(amat_root, "test", cache_dir=cache)
    files = list((cache / "mnist_rot_amat").glob("*.npz"))
    assert len(files) == 1
    files[0].write_bytes(b"garbage")  # a corrupted cache is rebuilt, not a crash
    b = MNISTRot(amat_root, "test", cache_dir=cache)
    assert np.array_equal(a.images.numpy(), b.images.numpy())
    zroot = tmp_path / "zipped"
    zroot.mkdir()
    with zipfile.ZipFile(zroot / "mnist_rotation_new.zip", "w") as zf:
        for name in (AMAT_TRAIN_VALID, AMAT_TEST):
            zf.write(amat_root / name, f"mnist_rotation_new/{name}")
    c = MNISTRot(zroot, "test", use_cache=False)
    assert np.array_equal(a.images.numpy(), c.images.numpy())


def test_missing_files_message(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match=AMAT_TEST):
        MNISTRot(tmp_path, "test")


def test_download_offline_is_wrapped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def offline(*args: object, **kw: object) -> None:
        raise urllib.error.URLError("Name or service not known")

    monkeypatch.setattr(urllib.request, "urlopen", offline)
    with pytest.raises(FileNotFoundError, match="place") as info:
        MNISTRot(tmp_path / "r", "train", download=True)
    assert info.value.__cause__ is None and info.value.__suppress_context__
    assert list((tmp_path / "r").iterdir()) == []  # no partial download left behind


def test_download_from_file_url(amat_root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    src = tmp_path / "served.zip"
    with zipfile.ZipFile(src, "w") as zf:
        for name in (AMAT_TRAIN_VALID, AMAT_TEST):
            zf.write(amat_root / name, name)
    monkeypatch.setattr(amat_mod, "MNISTROT_URL", src.as_uri())
    ds = MNISTRot(tmp_path / "dl", "valid", download=True)
    assert len(ds) == 2 and (tmp_path / "dl" / "mnist_rotation_new.zip").is_file()
    (tmp_path / "notzip").write_bytes(b"<html>")
    with pytest.raises(FileNotFoundError, match="zip"):
        download_mnist_rot(tmp_path / "dl2", url=(tmp_path / "notzip").as_uri())


def test_get_dataset_amat(amat_root: Path) -> None:
    assert len(get_dataset("mnist-rot-amat", "train", root=amat_root)) == 10
    with pytest.raises(ValueError, match="root"):
        get_dataset("mnist-rot-amat", "train")
