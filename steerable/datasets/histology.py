"""Histopathology patches: an offline proxy cut from scikit-image's IHC slide, and readers for PCam and PathMNIST.

**Histology proxy** (:class:`HistologyProxy`).  Tiles of ``size x size`` RGB pixels (default 33 =
2^5 + 1, so every stride-2 layer of a MobileNetV2 keeps the 90-degree grid symmetry exact) are
cut from ``skimage.data.immunohistochemistry()`` (512 x 512, haematoxylin and DAB stains):
training tiles from the left half of the slide, test tiles from the right half (no overlap).

*Label rule*: colour deconvolution (Ruifrok & Johnston 2001) gives the haematoxylin optical
density ``H(p) = max(0, [log(max(rgb(p), 1e-6)) / log(1e-6)] @ inv(M)[:, 0])`` with the stain matrix
``M`` (rows: haematoxylin, eosin, DAB in RGB optical density); a tile is positive (label 1) when
the mean of ``H`` over the central disk of radius ``size / 4`` exceeds ``t``, the median of that
statistic over a fixed grid of tile centres covering the whole slide.  The disk mean does not
change under rotations or flips about the tile centre, so the label is invariant by construction
(the proxy of PCam's "tumour in the central 32 x 32 region").

*Orientation*: each tile is drawn at an orientation ``orientation_train`` / ``orientation_test``:
``'none'``, ``'d4'`` (one of the 8 grid symmetries, exact) or ``'continuous'`` (a uniform angle;
a larger crop rotated with bilinear interpolation and cut back to ``size``).

**Readers**: :func:`read_pcam` (the official ``camelyonpatch_level_2_split_{train,valid,test}_{x,y}.h5``
files, via ``h5py``) and :func:`read_pathmnist` (MedMNIST's ``pathmnist.npz``).

Example:
    >>> import numpy as np
    >>> od = haematoxylin_density(np.ones((2, 2, 3)))  # white: no stain
    >>> float(abs(od).max()) < 1e-6
    True
"""
from __future__ import annotations

import importlib.util
import os
from functools import lru_cache

import numpy as np
import torch
from scipy import ndimage

from ._common import TensorImageDataset

__all__ = ["HistologyProxy", "haematoxylin_density", "ihc_image", "read_pcam", "read_pathmnist", "histology_available"]

_EXTRA = "pip install 'steerable[histology]' (scikit-image ships the slide)"
# Ruifrok & Johnston's stain vectors (optical density of haematoxylin, eosin, DAB in R, G, B)
_RGB_FROM_HED = np.array([[0.65, 0.70, 0.29], [0.07, 0.99, 0.11], [0.27, 0.57, 0.78]])
_HED_FROM_RGB = np.linalg.inv(_RGB_FROM_HED)


def histology_available() -> bool:
    """Whether scikit-image (which ships the IHC slide) is installed."""
    return importlib.util.find_spec("skimage") is not None


@lru_cache(maxsize=1)
def _ihc() -> np.ndarray:
    spec = importlib.util.find_spec("skimage")
    if spec is None or spec.origin is None:
        raise ImportError(f"the histology proxy is cut from scikit-image's immunohistochemistry slide: {_EXTRA}")
    path = os.path.join(os.path.dirname(spec.origin), "data", "ihc.png")
    if not os.path.exists(path):
        raise FileNotFoundError(f"scikit-image is installed but its slide {path} is missing; reinstall scikit-image")
    from PIL import Image  # a dependency of matplotlib

    with Image.open(path) as im:
        a = np.asarray(im.convert("RGB"), dtype=np.float32) / 255.0
    a.setflags(write=False)
    return a


def ihc_image() -> np.ndarray:
    """scikit-image's IHC slide as float32 ``(512, 512, 3)`` in ``[0, 1]`` (read-only; read without importing skimage)."""
    return _ihc()


def haematoxylin_density(rgb: np.ndarray) -> np.ndarray:
    """Haematoxylin optical density of RGB pixels ``(..., 3)`` in ``[0, 1]`` (colour deconvolution, see module docs)."""
    rgb = np.asarray(rgb, dtype=np.float64)
    if rgb.shape[-1] != 3:
        raise ValueError(f"expected RGB pixels (..., 3), got shape {rgb.shape}")
    od = np.log(np.maximum(rgb, 1e-6)) / np.log(1e-6)
    return np.maximum(od @ _HED_FROM_RGB[:, 0], 0.0)  # negative densities are no stain


def _disk(size: int) -> np.ndarray:
    c = (size - 1) / 2
    yy, xx = np.mgrid[:size, :size]
    return (yy - c) ** 2 + (xx - c) ** 2 <= (size / 4) ** 2


@lru_cache(maxsize=8)
def _threshold(size: int) -> float:
    """Median central-disk haematoxylin density over a fixed grid of tile centres on the whole slide."""
    h = haematoxylin_density(ihc_image())
    m = _disk(size)
    # disk means at every pixel at once (a correlation with the normalised disk), read at the grid centres
    means = ndimage.correlate(h, m / m.sum(), mode="constant")
    r = size // 2
    cs = np.arange(r + 24, h.shape[0] - r - 24, 6)
    vals = means[np.ix_(cs, cs)].ravel()
    return float(np.median(vals))


class HistologyProxy(TensorImageDataset):
    """Binary patches from the IHC slide (see the module docs for the tiles, the label rule and the orientations).

    Args:
        split: ``'train'`` (left half of the slide) or ``'test'`` (right half).
        n_train, n_test: number of tiles of each split.
        seed: tile positions and orientations.
        size: tile side (odd).
        orientation_train, orientation_test: ``'none'``, ``'d4'`` or ``'continuous'``.

    Attributes: ``images`` float32 ``(N, 3, size, size)`` in ``[0, 1]``, ``labels`` int64 ``(N,)``,
    ``angles`` (radians, ``nan`` for none), ``num_classes = 2``.
    """

    num_classes = 2

    def __init__(self, split: str = "train", n_train: int = 2000, n_test: int = 1000, seed: int = 0, size: int = 33,
                 orientation_train: str = "none", orientation_test: str = "continuous", root: str | None = None) -> None:
        if split not in ("train", "test"):
            raise ValueError(f"split must be 'train' or 'test', got {split!r}")
        if not isinstance(size, int) or size < 5 or size % 2 == 0 or size > 101:
            raise ValueError(f"size must be an odd int in [5, 101], got {size!r}")
        orient = orientation_train if split == "train" else orientation_test
        if orient not in ("none", "d4", "continuous"):
            raise ValueError(f"orientation must be 'none', 'd4' or 'continuous', got {orient!r}")
        n = n_train if split == "train" else n_test
        if not isinstance(n, int) or n < 1:
            raise ValueError(f"n_{split} must be a positive int, got {n!r}")
        img = ihc_image()
        h = haematoxylin_density(img)
        t, m, r = _threshold(size), _disk(size), size // 2
        big = int(np.ceil(size * 2 ** 0.5)) // 2 + 2  # half side of a crop that covers every rotation of the tile
        rng = np.random.default_rng([seed, 0 if split == "train" else 1, size])
        x_lo, x_hi = (big, 256 - big) if split == "train" else (256 + big, 512 - big)
        ys = rng.integers(big, 512 - big, n)
        xs = rng.integers(x_lo, x_hi, n)
        tiles = np.empty((n, 3, size, size), np.float32)
        labels = np.empty(n, np.int64)
        angles = np.full(n, np.nan)
        for i, (y, x) in enumerate(zip(ys, xs)):
            labels[i] = int(h[y - r:y + r + 1, x - r:x + r + 1][m].mean() > t)
            if orient == "continuous":
                a = rng.uniform(0, 2 * np.pi)
                crop = img[y - big:y + big + 1, x - big:x + big + 1]
                rot = ndimage.rotate(crop, np.degrees(a), axes=(0, 1), reshape=False, order=1, mode="reflect")
                tile = rot[big - r:big + r + 1, big - r:big + r + 1]
                angles[i] = a
            else:
                tile = img[y - r:y + r + 1, x - r:x + r + 1]
                if orient == "d4":
                    k, f = int(rng.integers(4)), bool(rng.integers(2))
                    tile = np.rot90(tile[:, ::-1] if f else tile, k)
                    angles[i] = k * np.pi / 2
            tiles[i] = np.moveaxis(tile, -1, 0)
        self.images = torch.from_numpy(np.clip(tiles, 0.0, 1.0))
        self.labels = torch.from_numpy(labels)
        self.angles = angles
        self.transform = None
        self.source = "skimage:immunohistochemistry"


def read_pathmnist(path: str, split: str = "train") -> tuple[torch.Tensor, torch.Tensor]:
    """MedMNIST's ``pathmnist.npz`` (keys ``{train,val,test}_{images,labels}``): images float32
    ``(N, 3, H, W)`` in ``[0, 1]`` and labels int64 ``(N,)`` (9 tissue classes)."""
    key = {"train": "train", "valid": "val", "val": "val", "test": "test"}.get(split)
    if key is None:
        raise ValueError(f"split must be 'train', 'val' or 'test', got {split!r}")
    if os.path.isdir(path):
        path = os.path.join(path, "pathmnist.npz")
    if not os.path.exists(path):
        raise FileNotFoundError(f"no PathMNIST file at {path}; expected MedMNIST's pathmnist.npz")
    with np.load(path) as z:
        need = [f"{key}_images", f"{key}_labels"]
        if any(k not in z.files for k in need):
            raise ValueError(f"{path} is not a MedMNIST file: expected keys {need}, found {sorted(z.files)}")
        x, y = z[need[0]], z[need[1]]
    if x.ndim != 4 or x.shape[-1] != 3:
        raise ValueError(f"expected PathMNIST images (N, H, W, 3), found {x.shape}")
    return torch.from_numpy(np.moveaxis(x, -1, 1).astype(np.float32) / 255.0), torch.from_numpy(y.reshape(-1).astype(np.int64))


def read_pcam(root: str, split: str = "train", limit: int | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """PatchCamelyon from the official HDF5 files in ``root``
    (``camelyonpatch_level_2_split_{train,valid,test}_{x,y}.h5``, datasets ``x``: ``(N, 96, 96, 3)`` uint8 and
    ``y``: ``(N, 1, 1, 1)``): images float32 ``(N, 3, 96, 96)`` in ``[0, 1]`` and labels int64 ``(N,)``;
    ``limit`` reads the first ``limit`` patches only."""
    if split not in ("train", "valid", "test"):
        raise ValueError(f"split must be 'train', 'valid' or 'test', got {split!r}")
    files = [os.path.join(root, f"camelyonpatch_level_2_split_{split}_{k}.h5") for k in ("x", "y")]
    missing = [f for f in files if not os.path.exists(f)]
    if missing:
        raise FileNotFoundError(f"PCam files not found: {', '.join(missing)} (download them from the PCam repository)")
    try:
        import h5py
    except ImportError:
        raise ImportError("reading PCam's HDF5 files needs h5py: pip install 'steerable[pcam]'") from None
    sl = slice(None) if limit is None else slice(0, int(limit))
    with h5py.File(files[0], "r") as fx, h5py.File(files[1], "r") as fy:
        x, y = fx["x"][sl], fy["y"][sl]
    return torch.from_numpy(np.moveaxis(x, -1, 1).astype(np.float32) / 255.0), torch.from_numpy(y.reshape(-1).astype(np.int64))
