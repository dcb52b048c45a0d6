"""The procedural rotated-figure dataset."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from steerable.datasets import CLASS_NAMES, SyntheticRotated, get_dataset, render_figure


def test_shapes_balance_and_determinism() -> None:
    a = SyntheticRotated("train", n_train=40, seed=5)
    b = SyntheticRotated("train", n_train=40, seed=5)
    assert a.images.shape == (40, 1, 29, 29) and a.images.dtype == torch.float32
    assert torch.equal(a.images, b.images) and torch.equal(a.labels, b.labels)
    assert np.array_equal(np.bincount(a.labels.numpy(), minlength=10), [4] * 10)
    assert 0 <= a.images.min() and a.images.max() <= 1 and (a.images.flatten(1).max(1).values > 0.5).all()
    c = SyntheticRotated("test", n_test=40, seed=5)
    assert not torch.equal(a.images, c.images)


def test_rotation_controls() -> None:
    up = SyntheticRotated("train", n_train=10, rotate_train=False)
    assert (up.angles == 0).all()
    te = SyntheticRotated("test", n_test=10, rotate_train=False)
    assert (te.angles > 0).any()


def test_figure_rotation_is_exact_for_quarter_turns() -> None:
    for label in range(len(CLASS_NAMES)):
        base = render_figure(label, 0.0, size=29)
        turned = render_figure(label, math.pi / 2, size=29)
        assert np.allclose(turned, np.rot90(base), atol=1e-5)


def test_classes_differ() -> None:
    imgs = [render_figure(k, 0.0) for k in range(10)]
    for i in range(10):
        for j in range(i + 1, 10):
            assert not np.allclose(imgs[i], imgs[j])


def test_get_dataset_and_errors() -> None:
    ds = get_dataset("synthetic", "test", n_test=7, pad_to=33, cache_dir=None)
    assert ds.images.shape == (7, 1, 33, 33)
    with pytest.raises(ValueError, match="split"):
        SyntheticRotated("valid")
    with pytest.raises(ValueError, match="label"):
        render_figure(10, 0.0)
