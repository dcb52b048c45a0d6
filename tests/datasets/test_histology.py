"""Histology proxy (label rule invariant, splits disjoint) and the PCam / PathMNIST readers' formats and errors."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from steerable.datasets import HistologyProxy, get_dataset, haematoxylin_density, histology_available, read_pathmnist, read_pcam
from steerable.datasets import histology as H


def test_colour_deconvolution_recovers_pure_haematoxylin():
    # a pixel whose optical density is c times the haematoxylin vector has density c
    od = 0.7 * H._RGB_FROM_HED[0]
    rgb = np.exp(od * np.log(1e-6))
    assert abs(float(haematoxylin_density(rgb)) - 0.7) < 1e-9
    with pytest.raises(ValueError, match=r"\(\.\.\., 3\)"):
        haematoxylin_density(np.ones((2, 4)))


def test_colour_deconvolution_matches_skimage():
    color = pytest.importorskip("skimage.color")
    rgb = np.random.default_rng(0).uniform(0.05, 1, (16, 16, 3))
    np.testing.assert_allclose(haematoxylin_density(rgb), color.rgb2hed(rgb)[..., 0], atol=1e-7)


needs_slide = pytest.mark.skipif(not histology_available(), reason="needs scikit-image's slide: pip install 'steerable[histology]'")


@needs_slide
def test_proxy_tiles_labels_and_invariant_rule():
    ds = HistologyProxy("train", n_train=64, seed=1, orientation_train="d4")
    assert ds.images.shape == (64, 3, 33, 33) and ds.images.dtype == torch.float32 and ds.num_classes == 2
    assert 0.2 < ds.labels.float().mean() < 0.8
    up = HistologyProxy("train", n_train=64, seed=1, orientation_train="none")
    # same positions, same labels whatever the orientation; d4 tiles are exact grid transforms of upright ones
    assert torch.equal(up.labels, ds.labels)
    for i in range(8):
        cands = [torch.rot90(up.images[i].flip(2) if f else up.images[i], k, (1, 2)) for f in (0, 1) for k in range(4)]
        assert any(torch.equal(c, ds.images[i]) for c in cands)
    # the rule: central-disk haematoxylin density above the slide's median
    t, m = H._threshold(33), H._disk(33)
    for i in range(8):
        dens = haematoxylin_density(np.moveaxis(up.images[i].numpy(), 0, -1))[m].mean()
        assert (dens > t) == bool(up.labels[i]) or abs(dens - t) < 1e-3  # float32 tiles vs float64 slide


@needs_slide
def test_proxy_continuous_orientation_and_get_dataset():
    te = get_dataset("histology", "test", n_test=16, seed=0)
    assert te.images.shape == (16, 3, 33, 33) and np.isfinite(te.angles).all()
    assert float(te.images.min()) >= 0 and float(te.images.max()) <= 1


def test_proxy_bad_arguments():
    with pytest.raises(ValueError, match="split"):
        HistologyProxy("val")
    with pytest.raises(ValueError, match="odd"):
        HistologyProxy("train", size=32)
    with pytest.raises(ValueError, match="orientation"):
        HistologyProxy("train", orientation_train="upright")


def test_missing_skimage_is_a_clear_error(monkeypatch):
    H._ihc.cache_clear()
    monkeypatch.setattr(H.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(ImportError, match=r"steerable\[histology\]"):
        H.ihc_image()
    H._ihc.cache_clear()


def test_pathmnist_reader(tmp_path):
    rng = np.random.default_rng(0)
    arrays = {f"{s}_images": rng.integers(0, 256, (5, 28, 28, 3), dtype=np.uint8) for s in ("train", "val", "test")}
    arrays.update({f"{s}_labels": rng.integers(0, 9, (5, 1)) for s in ("train", "val", "test")})
    np.savez(tmp_path / "pathmnist.npz", **arrays)
    x, y = read_pathmnist(str(tmp_path), "val")
    assert x.shape == (5, 3, 28, 28) and y.shape == (5,)
    np.testing.assert_allclose(x[2, 1].numpy(), arrays["val_images"][2, :, :, 1] / 255.0, rtol=1e-6)
    np.savez(tmp_path / "other.npz", images=arrays["val_images"])
    with pytest.raises(ValueError, match="MedMNIST"):
        read_pathmnist(str(tmp_path / "other.npz"))
    with pytest.raises(FileNotFoundError, match="pathmnist.npz"):
        read_pathmnist(str(tmp_path / "missing"))


def test_pcam_reader_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="camelyonpatch_level_2_split_test_x.h5"):
        read_pcam(str(tmp_path), "test")
    with pytest.raises(ValueError, match="split"):
        read_pcam(str(tmp_path), "val")


def test_pcam_reader_reads_official_layout(tmp_path):
    h5py = pytest.importorskip("h5py")
    x = np.random.default_rng(0).integers(0, 256, (4, 96, 96, 3), dtype=np.uint8)
    with h5py.File(tmp_path / "camelyonpatch_level_2_split_valid_x.h5", "w") as f:
        f["x"] = x
    with h5py.File(tmp_path / "camelyonpatch_level_2_split_valid_y.h5", "w") as f:
        f["y"] = np.array([0, 1, 1, 0], np.uint8).reshape(4, 1, 1, 1)
    xs, ys = read_pcam(str(tmp_path), "valid", limit=3)
    assert xs.shape == (3, 3, 96, 96) and ys.tolist() == [0, 1, 1]
