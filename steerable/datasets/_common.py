"""Shared plumbing for the dataset loaders: cache directory, atomic ``.npz`` cache
files, file fingerprints, padding and the tensor-backed ``Dataset`` base class.

Example:
    >>> import numpy as np
    >>> pad_images(np.ones((2, 28, 28), np.uint8), 29).shape
    (2, 29, 29)
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
import zipfile
from pathlib import Path
from typing import Any, Callable

import numpy as np
import torch
from torch.utils.data import Dataset

logger = logging.getLogger(__name__)

#: Bump when the on-disk layout or the processing changes, so stale caches are never reused.
CACHE_FORMAT_VERSION = 1


def default_cache_dir() -> Path:
    """Return the cache root: ``$STEERABLE_CACHE`` if set, else ``~/.cache/steerable``.

    The cache deliberately lives outside the installed package (site-packages may be
    read-only and is wiped on reinstall).

    Example:
        >>> isinstance(default_cache_dir(), Path)
        True
    """
    env = os.environ.get("STEERABLE_CACHE")
    if env:
        return Path(env).expanduser()
    return Path.home() / ".cache" / "steerable"


def resolve_cache_dir(cache_dir: str | os.PathLike[str] | None) -> Path:
    """``cache_dir`` as a ``Path``, or the default cache root when ``None``.

    Example:
        >>> resolve_cache_dir("/tmp/x")
        PosixPath('/tmp/x')
    """
    return Path(cache_dir).expanduser() if cache_dir is not None else default_cache_dir()


def file_fingerprint(path: str | os.PathLike[str]) -> str:
    """A cheap identity of a file (absolute path, size, mtime) for cache keys.

    Hashing the content would be more exact but would cost as much as reading the
    data, which is what the cache is there to avoid.

    Example:
        >>> file_fingerprint(__file__).count(":") >= 2
        True
    """
    p = Path(path).resolve()
    st = p.stat()
    return f"{p}:{st.st_size}:{st.st_mtime_ns}"


def cache_key(params: dict[str, Any]) -> str:
    """A short stable hash of a JSON-serialisable parameter dict.

    Example:
        >>> cache_key({"a": 1}) == cache_key({"a": 1})
        True
    """
    blob = json.dumps(params, sort_keys=True, default=str).encode()
    return hashlib.sha256(blob).hexdigest()[:16]


def save_npz_atomic(path: Path, meta: dict[str, Any], arrays: dict[str, np.ndarray]) -> None:
    """Write ``arrays`` (plus ``meta`` as JSON) to ``path`` atomically.

    A temporary file in the same directory is renamed over the target with
    ``os.replace``, so a reader never sees a half-written cache even if the writer
    is killed, and two concurrent writers just race to an identical result.

    Example:
        >>> import tempfile
        >>> d = Path(tempfile.mkdtemp())
        >>> save_npz_atomic(d / "a.npz", {"k": 1}, {"x": np.zeros(3)})
        >>> load_npz_checked(d / "a.npz", {"k": 1}, ["x"])["x"].shape
        (3,)
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name + ".", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            # A file object (not a name) stops numpy from appending another ".npz".
            np.savez_compressed(fh, __meta__=np.array(json.dumps(meta, sort_keys=True, default=str)), **arrays)
        os.chmod(tmp, 0o644)  # mkstemp creates 0600; a cache is fine to share read-only
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def load_npz_checked(path: Path, meta: dict[str, Any], keys: list[str]) -> dict[str, np.ndarray] | None:
    """Load a cache file written by :func:`save_npz_atomic`, or ``None`` if unusable.

    Missing, truncated, corrupted or mismatching files all return ``None`` (with a
    warning for the damaged ones) so callers rebuild instead of crashing.

    Example:
        >>> load_npz_checked(Path("/nonexistent.npz"), {}, ["x"]) is None
        True
    """
    if not path.is_file():
        return None
    try:
        with np.load(path, allow_pickle=False) as npz:
            stored = json.loads(str(npz["__meta__"]))
            want = json.loads(json.dumps(meta, sort_keys=True, default=str))
            if stored != want:
                logger.warning("cache %s was built with other parameters; rebuilding", path)
                return None
            return {k: npz[k] for k in keys}
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile, json.JSONDecodeError) as exc:
        logger.warning("cache %s is unreadable (%s); rebuilding", path, exc)
        return None


def pad_images(images: np.ndarray, pad_to: int) -> np.ndarray:
    """Zero-pad a stack of square images ``(N, S, S)`` to ``(N, pad_to, pad_to)``.

    Odd padding goes to the bottom/right, so 28 -> 29 keeps the digit where it was
    and makes pixel (14, 14) the exact centre of the grid.

    Example:
        >>> pad_images(np.ones((1, 2, 2)), 3)[0]
        array([[1., 1., 0.],
               [1., 1., 0.],
               [0., 0., 0.]])
    """
    if images.ndim != 3 or images.shape[1] != images.shape[2]:
        raise ValueError(f"expected a stack of square images (N, S, S), found shape {images.shape}")
    size = images.shape[1]
    if not isinstance(pad_to, (int, np.integer)) or pad_to < size:
        raise ValueError(f"pad_to must be an integer >= the image size {size}, found {pad_to!r}")
    before = (pad_to - size) // 2
    after = pad_to - size - before
    return np.pad(images, ((0, 0), (before, after), (before, after)))


class TensorImageDataset(Dataset):
    """A map-style dataset over in-memory image/label tensors.

    Attributes:
        images: float32 tensor ``(N, 1, H, W)`` with values in [0, 1].
        labels: int64 tensor ``(N,)``.
        num_classes: number of classes (10 for every dataset here).

    Example:
        >>> ds = TensorImageDataset(np.zeros((2, 5, 5), np.float32), np.array([0, 1]))
        >>> x, y = ds[1]; tuple(x.shape), int(y)
        ((1, 5, 5), 1)
    """

    num_classes: int = 10

    def __init__(
        self,
        images: np.ndarray,
        labels: np.ndarray,
        transform: Callable[[torch.Tensor], torch.Tensor] | None = None,
    ) -> None:
        if images.ndim != 3:
            raise ValueError(f"expected images of shape (N, H, W), found {images.shape}")
        if labels.shape != (images.shape[0],):
            raise ValueError(f"expected {images.shape[0]} labels, found shape {labels.shape}")
        self.images: torch.Tensor = torch.from_numpy(np.ascontiguousarray(images, dtype=np.float32)).unsqueeze(1)
        self.labels: torch.Tensor = torch.from_numpy(np.asarray(labels, dtype=np.int64).copy())
        self.transform = transform

    def __len__(self) -> int:
        return int(self.labels.shape[0])

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        x = self.images[index]
        if self.transform is not None:
            x = self.transform(x)
        return x, self.labels[index]

    @property
    def image_shape(self) -> tuple[int, int, int]:
        """``(C, H, W)`` of one sample.

        Example:
            >>> TensorImageDataset(np.zeros((1, 3, 3)), np.array([0])).image_shape
            (1, 3, 3)
        """
        return tuple(self.images.shape[1:])  # type: ignore[return-value]
