"""Reader/writer for the IDX format used by MNIST and Fashion-MNIST.

An IDX file is a 4-byte magic number ``0x00 0x00 <dtype code> <ndim>``, then
``ndim`` big-endian uint32 dimension sizes, then the data in C order. Files may be
gzipped; compression is detected from the content, not the file name.

Example:
    >>> import tempfile, numpy as np, os
    >>> p = os.path.join(tempfile.mkdtemp(), "x-idx3-ubyte.gz")
    >>> write_idx(p, np.arange(8, dtype=np.uint8).reshape(2, 2, 2))
    >>> read_idx(p).shape
    (2, 2, 2)
"""

from __future__ import annotations

import gzip
import os
import zlib
from pathlib import Path

import numpy as np

__all__ = ["read_idx", "write_idx", "find_idx_pair", "load_idx_split"]

# IDX type codes -> big-endian numpy dtypes (from the format's specification).
_CODE_TO_DTYPE: dict[int, np.dtype] = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
_GZIP_MAGIC = b"\x1f\x8b"


def _read_bytes(path: Path) -> bytes:
    with open(path, "rb") as fh:
        raw = fh.read()
    if raw[:2] != _GZIP_MAGIC:
        return raw
    try:
        return gzip.decompress(raw)
    except (OSError, EOFError, zlib.error) as exc:
        raise ValueError(f"{path}: expected a valid gzip stream, found a corrupt or truncated one ({exc})") from None


def read_idx(path: str | os.PathLike[str]) -> np.ndarray:
    """Read an IDX file (optionally gzipped) into a native-endian numpy array.

    MNIST and Fashion-MNIST files give ``uint8`` arrays: images ``(N, 28, 28)`` and
    labels ``(N,)``.

    Raises:
        FileNotFoundError: if ``path`` does not exist.
        ValueError: on a bad magic number, unknown type code or a data section whose
            length disagrees with the header (a truncated or corrupt file).

    Example:
        >>> read_idx("train-labels-idx1-ubyte.gz")  # doctest: +SKIP
        array([5, 0, 4, ..., 5, 6, 8], dtype=uint8)
    """
    p = Path(path)
    if not p.is_file():
        raise FileNotFoundError(f"IDX file not found: expected a file at {p}")
    raw = _read_bytes(p)
    if len(raw) < 4:
        raise ValueError(f"{p}: expected a 4-byte IDX magic number, found only {len(raw)} bytes")
    if raw[0] != 0 or raw[1] != 0 or raw[2] not in _CODE_TO_DTYPE:
        raise ValueError(
            f"{p}: expected IDX magic 0x0000<type><ndim> with type in "
            f"{sorted(hex(c) for c in _CODE_TO_DTYPE)}, found 0x{raw[:4].hex()}"
        )
    dtype = _CODE_TO_DTYPE[raw[2]]
    ndim = raw[3]
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise ValueError(f"{p}: expected a {header}-byte header for {ndim} dimensions, found {len(raw)} bytes")
    dims = tuple(int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    expected = int(np.prod(dims, dtype=np.int64)) * dtype.itemsize
    found = len(raw) - header
    if found != expected:
        raise ValueError(
            f"{p}: expected {expected} data bytes for shape {dims} ({dtype.name}), found {found}; "
            "the file is truncated or corrupt"
        )
    arr = np.frombuffer(raw, dtype=dtype, offset=header).reshape(dims)
    return arr.astype(dtype.newbyteorder("="), copy=True)


def write_idx(path: str | os.PathLike[str], array: np.ndarray, compress: bool | None = None) -> None:
    """Write ``array`` as an IDX file; gzip it if ``compress`` (default: name ends in ``.gz``).

    Example:
        >>> import tempfile, os
        >>> p = os.path.join(tempfile.mkdtemp(), "y-idx1-ubyte")
        >>> write_idx(p, np.array([3, 1], np.uint8)); read_idx(p).tolist()
        [3, 1]
    """
    arr = np.asarray(array)
    codes = {v.newbyteorder("="): k for k, v in _CODE_TO_DTYPE.items()}
    native = arr.dtype.newbyteorder("=")
    if native not in codes:
        raise ValueError(f"expected an array of dtype in {[str(d) for d in codes]}, found {arr.dtype}")
    if arr.ndim > 255:
        raise ValueError(f"expected at most 255 dimensions, found {arr.ndim}")
    code = codes[native]
    header = bytes([0, 0, code, arr.ndim]) + b"".join(int(d).to_bytes(4, "big") for d in arr.shape)
    payload = header + np.ascontiguousarray(arr, dtype=_CODE_TO_DTYPE[code]).tobytes()
    p = Path(path)
    if compress is None:
        compress = p.suffix == ".gz"
    p.write_bytes(gzip.compress(payload) if compress else payload)


def _idx_candidates(root: Path, prefix: str, kind: str) -> list[Path]:
    # Both the canonical "train-images-idx3-ubyte" and the "train-images.idx3-ubyte"
    # spelling circulate; torchvision keeps them under <root>/<Name>/raw.
    rank = "idx3" if kind == "images" else "idx1"
    names = [f"{prefix}-{kind}-{rank}-ubyte", f"{prefix}-{kind}.{rank}-ubyte"]
    dirs = [root, root / "raw", root / "MNIST" / "raw", root / "FashionMNIST" / "raw"]
    return [d / (n + ext) for d in dirs for n in names for ext in ("", ".gz")]


def find_idx_pair(root: str | os.PathLike[str], split: str) -> tuple[Path, Path]:
    """Locate the images/labels IDX files of ``split`` ("train" or "test") under ``root``.

    Looks for ``train-*`` / ``t10k-*`` files (gzipped or not) in ``root``, ``root/raw``,
    ``root/MNIST/raw`` and ``root/FashionMNIST/raw``.

    Example:
        >>> find_idx_pair("/data/mnist", "test")  # doctest: +SKIP
        (PosixPath('/data/mnist/t10k-images-idx3-ubyte.gz'), PosixPath('/data/mnist/t10k-labels-idx1-ubyte.gz'))
    """
    if split not in ("train", "test"):
        raise ValueError(f"expected split 'train' or 'test', found {split!r}")
    prefix = "train" if split == "train" else "t10k"
    base = Path(root).expanduser()
    found = []
    for kind in ("images", "labels"):
        cands = _idx_candidates(base, prefix, kind)
        hit = next((c for c in cands if c.is_file()), None)
        if hit is None:
            raise FileNotFoundError(
                f"expected an IDX file named {cands[0].name}[.gz] (or {cands[1].name}[.gz]) "
                f"in {base} or its raw/ subfolder, found none"
            )
        found.append(hit)
    return found[0], found[1]


def load_idx_split(root: str | os.PathLike[str], split: str) -> tuple[np.ndarray, np.ndarray]:
    """Load ``(images uint8 (N, H, W), labels int64 (N,))`` of an MNIST-layout IDX split.

    Example:
        >>> x, y = load_idx_split("/usr/share/datasets/fashion-mnist", "test")  # doctest: +SKIP
        >>> x.shape, y.shape  # doctest: +SKIP
        ((10000, 28, 28), (10000,))
    """
    img_path, lab_path = find_idx_pair(root, split)
    images = read_idx(img_path)
    labels = read_idx(lab_path)
    if images.ndim != 3 or images.dtype != np.uint8:
        raise ValueError(f"{img_path}: expected uint8 images (N, H, W), found {images.dtype} {images.shape}")
    if labels.ndim != 1 or labels.shape[0] != images.shape[0]:
        raise ValueError(
            f"{lab_path}: expected {images.shape[0]} labels to match {img_path.name}, found shape {labels.shape}"
        )
    return images, labels.astype(np.int64)
