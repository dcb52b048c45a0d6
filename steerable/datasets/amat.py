"""The original MNIST-rot benchmark (Larochelle et al., ICML 2007) from its ``.amat`` files.

The archive ``mnist_rotation_new.zip`` holds two whitespace-separated text files:

* ``mnist_all_rotation_normalized_float_train_valid.amat``: 12,000 rows;
* ``mnist_all_rotation_normalized_float_test.amat``: 50,000 rows.

Each row is 784 floats in [0, 1] followed by the label. The 784 pixels are stored
column by column, i.e. ``row[:784].reshape(28, 28)`` is the *transpose* of the digit
as usually displayed; :func:`read_amat` transposes it back by default (a transpose
is a reflection, which a rotation-equivariant model would otherwise see as a
different orientation convention from every other MNIST source here).

Example:
    >>> ds = MNISTRot("/data/mnist_rot", split="valid")  # doctest: +SKIP
    >>> len(ds), tuple(ds.images.shape[1:])  # doctest: +SKIP
    (2000, (1, 29, 29))
"""

from __future__ import annotations

import http.client
import io
import logging
import os
import shutil
import tempfile
import urllib.error
import urllib.request
import zipfile
from pathlib import Path
from typing import IO, Callable

import numpy as np
import torch

from ._common import (
    CACHE_FORMAT_VERSION,
    TensorImageDataset,
    cache_key,
    file_fingerprint,
    load_npz_checked,
    pad_images,
    resolve_cache_dir,
    save_npz_atomic,
)

__all__ = ["read_amat", "MNISTRot", "download_mnist_rot", "AMAT_TRAIN_VALID", "AMAT_TEST", "MNISTROT_URL"]

logger = logging.getLogger(__name__)

AMAT_TRAIN_VALID = "mnist_all_rotation_normalized_float_train_valid.amat"
AMAT_TEST = "mnist_all_rotation_normalized_float_test.amat"
MNISTROT_ZIP = "mnist_rotation_new.zip"
MNISTROT_URL = "http://www.iro.umontreal.ca/~lisa/icml2007data/mnist_rotation_new.zip"
MNISTROT_SPLITS = ("train", "valid", "train_valid", "test")
_SIDE = 28


def read_amat(
    source: str | os.PathLike[str] | IO[bytes], transpose: bool = True, name: str | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Parse an MNIST-rot ``.amat`` file into ``(images float32 (N, 28, 28), labels int64 (N,))``.

    Args:
        source: a path, or a binary file object (e.g. a member opened from the zip).
        transpose: undo the column-major pixel order of the files (see module docs).
        name: label for error messages when ``source`` is a file object.

    Example:
        >>> import io
        >>> row = " ".join(["0"] * 783 + ["1", "7"])
        >>> x, y = read_amat(io.BytesIO(row.encode()))
        >>> x.shape, int(y[0]), float(x[0, 27, 27])
        ((1, 28, 28), 7, 1.0)
    """
    label = name or (str(source) if isinstance(source, (str, os.PathLike)) else "<amat stream>")
    if isinstance(source, (str, os.PathLike)) and not Path(source).is_file():
        raise FileNotFoundError(f"expected an .amat file at {source}, found nothing")
    stream: IO[str] | str | os.PathLike[str]
    stream = source if isinstance(source, (str, os.PathLike)) else io.TextIOWrapper(source, encoding="ascii")
    try:
        table = np.loadtxt(stream, dtype=np.float32, ndmin=2)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValueError(f"{label}: expected rows of {_SIDE * _SIDE + 1} numbers, could not parse ({exc})") from None
    if table.shape[0] == 0 or table.shape[1] != _SIDE * _SIDE + 1:
        raise ValueError(f"{label}: expected rows of {_SIDE * _SIDE + 1} numbers, found table shape {table.shape}")
    pixels, raw_labels = table[:, :-1], table[:, -1]
    if pixels.min() < -1e-6 or pixels.max() > 1 + 1e-6:
        raise ValueError(f"{label}: expected pixel values in [0, 1], found [{pixels.min()}, {pixels.max()}]")
    labels = np.rint(raw_labels).astype(np.int64)
    if not np.allclose(labels, raw_labels) or labels.min() < 0 or labels.max() > 9:
        found = np.unique(raw_labels)[:10]
        raise ValueError(f"{label}: expected integer labels 0..9 in the last column, found {found}")
    images = pixels.reshape(-1, _SIDE, _SIDE)
    if transpose:
        images = images.transpose(0, 2, 1)
    return np.ascontiguousarray(images), labels


def download_mnist_rot(root: str | os.PathLike[str], url: str | None = None, timeout: float = 10.0) -> Path:
    """Download ``mnist_rotation_new.zip`` into ``root`` and return its path.

    Offline (or on any transfer error) this raises ``FileNotFoundError`` telling the
    user where to put the files, without chaining the urllib traceback.

    Example:
        >>> download_mnist_rot("/data/mnist_rot")  # doctest: +SKIP
        PosixPath('/data/mnist_rot/mnist_rotation_new.zip')
    """
    url = url or MNISTROT_URL
    dest_dir = Path(root).expanduser()
    dest_dir.mkdir(parents=True, exist_ok=True)
    dest = dest_dir / MNISTROT_ZIP
    fd, tmp = tempfile.mkstemp(dir=dest_dir, prefix=MNISTROT_ZIP + ".", suffix=".part")
    try:
        logger.info("downloading MNIST-rot from %s", url)
        with os.fdopen(fd, "wb") as out:
            try:
                with urllib.request.urlopen(url, timeout=timeout) as resp:
                    shutil.copyfileobj(resp, out)
            except (urllib.error.URLError, OSError, http.client.HTTPException, ValueError) as exc:
                reason = getattr(exc, "reason", exc)
                raise FileNotFoundError(
                    f"could not download MNIST-rot from {url} ({reason}). If this machine is offline, "
                    f"place {AMAT_TRAIN_VALID} and {AMAT_TEST} (or {MNISTROT_ZIP}) in {dest_dir}"
                ) from None
        if not zipfile.is_zipfile(tmp):
            raise FileNotFoundError(
                f"expected a zip archive from {url}, found something else; place {AMAT_TRAIN_VALID} "
                f"and {AMAT_TEST} (or {MNISTROT_ZIP}) in {dest_dir} by hand"
            )
        os.replace(tmp, dest)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return dest


def _zip_member(zip_path: Path, filename: str) -> str | None:
    try:
        with zipfile.ZipFile(zip_path) as zf:
            return next((m for m in zf.namelist() if Path(m).name == filename), None)
    except zipfile.BadZipFile:
        raise ValueError(f"{zip_path}: expected a zip archive holding {filename}, found a corrupt file") from None


def _locate(root: Path, filename: str) -> tuple[Path, str | None] | None:
    """Return ``(file, None)`` for a loose file or ``(zip, member)`` for one inside the zip."""
    loose = root / filename
    if loose.is_file():
        return loose, None
    zip_path = root / MNISTROT_ZIP
    if zip_path.is_file():
        member = _zip_member(zip_path, filename)
        if member is not None:
            return zip_path, member
    return None


class MNISTRot(TensorImageDataset):
    """The original MNIST-rot benchmark read from the user's ``.amat`` files.

    Splits follow the paper: ``"train"`` is the first 10,000 rows of the train_valid
    file, ``"valid"`` the last 2,000, ``"train_valid"`` all 12,000 and ``"test"`` the
    50,000 test rows. (For a train_valid file of another length the 10:2 ratio,
    ``N * 5 // 6`` training rows, is kept.)

    Args:
        root: directory holding the two ``.amat`` files or ``mnist_rotation_new.zip``.
        split: one of ``"train"``, ``"valid"``, ``"train_valid"``, ``"test"``.
        download: if the files are missing, try to fetch the zip from :data:`MNISTROT_URL`.
        pad_to: zero-pad the 28x28 digits to this size (29 gives an exact centre pixel,
            matching :class:`~steerable.datasets.RotatedMNIST`).
        cache_dir: where the parsed arrays are cached (default ``$STEERABLE_CACHE``
            or ``~/.cache/steerable``); parsing the 50k-row text file takes seconds.
        use_cache: set ``False`` to always parse the text file.
        transform: optional callable applied to each ``(1, H, W)`` image tensor.

    Attributes:
        images: float32 ``(N, 1, pad_to, pad_to)`` in [0, 1]; labels: int64 ``(N,)``.

    Example:
        >>> ds = MNISTRot("/data/mnist_rot", split="test")  # doctest: +SKIP
        >>> len(ds)  # doctest: +SKIP
        50000
    """

    def __init__(
        self,
        root: str | os.PathLike[str],
        split: str = "train",
        download: bool = False,
        pad_to: int = 29,
        cache_dir: str | os.PathLike[str] | None = None,
        use_cache: bool = True,
        transform: Callable[[torch.Tensor], torch.Tensor] | None = None,
    ) -> None:
        if split not in MNISTROT_SPLITS:
            raise ValueError(f"expected split in {MNISTROT_SPLITS}, found {split!r}")
        self.root = Path(root).expanduser()
        self.split = split
        filename = AMAT_TEST if split == "test" else AMAT_TRAIN_VALID
        where = _locate(self.root, filename)
        if where is None and download:
            download_mnist_rot(self.root)
            where = _locate(self.root, filename)
        if where is None:
            raise FileNotFoundError(
                f"expected {filename} (or {MNISTROT_ZIP} containing it) in {self.root}, found neither; "
                f"place the MNIST-rot files there or pass download=True when online"
            )
        images, labels = self._load(where, filename, cache_dir, use_cache)
        if split != "test":
            n_train = images.shape[0] * 5 // 6
            sl = {"train": slice(0, n_train), "valid": slice(n_train, None), "train_valid": slice(None)}[split]
            images, labels = images[sl], labels[sl]
        super().__init__(pad_images(images, pad_to), labels, transform)

    @staticmethod
    def _load(
        where: tuple[Path, str | None],
        filename: str,
        cache_dir: str | os.PathLike[str] | None,
        use_cache: bool,
    ) -> tuple[np.ndarray, np.ndarray]:
        path, member = where
        meta = {"format": CACHE_FORMAT_VERSION, "kind": "mnist-rot-amat", "file": file_fingerprint(path),
                "member": member, "transpose": True}
        cache_file = resolve_cache_dir(cache_dir) / "mnist_rot_amat" / f"{Path(filename).stem}-{cache_key(meta)}.npz"
        if use_cache:
            hit = load_npz_checked(cache_file, meta, ["images", "labels"])
            if hit is not None:
                return hit["images"], hit["labels"]
        logger.info("parsing %s (a 50k-row file takes several seconds)", filename)
        if member is None:
            images, labels = read_amat(path)
        else:
            with zipfile.ZipFile(path) as zf, zf.open(member) as fh:
                images, labels = read_amat(fh, name=f"{path}:{member}")
        if use_cache:
            try:
                save_npz_atomic(cache_file, meta, {"images": images, "labels": labels})
            except OSError as exc:  # a read-only cache must not stop the user from loading data
                logger.warning("could not write cache %s (%s)", cache_file, exc)
        return images, labels
