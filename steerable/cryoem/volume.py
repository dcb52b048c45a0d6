"""Volumes: atomic models (PDB) to Gaussian densities, and a synthetic asymmetric volume.

``density_from_pdb`` places one isotropic Gaussian per atom, weighted by its atomic number (the electron count, a
first approximation of its scattering), of width ``sigma = resolution / (pi sqrt 2)`` Å (Chimera's ``molmap``
default), centred on the model's centroid:

    V(x) = sum_a Z_a (2 pi sigma^2)^(-3/2) exp(-|x - x_a|^2 / (2 sigma^2)) * pixel_size^3.

The Gaussian is separable, so a box is three small matrix products per atom block (no N^3 x atoms loop).

Example:
    >>> V = density_from_pdb(SHIPPED_PDB, box=32, pixel_size=2.0, resolution=6.0)
    >>> V.shape, bool(V.min() >= 0)
    (torch.Size([32, 32, 32]), True)
"""
from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path

import torch

__all__ = ["Atoms", "read_pdb", "density_from_pdb", "gaussian_blobs", "SHIPPED_PDB", "pymol_pdbs", "ATOMIC_NUMBER"]

#: Interleukin-2 (2,084 atoms with hydrogens), copied from Debian's ``pymol-data`` (``data/demo/il2.pdb``); PDB
#: entries are CC0. ``data/extract_il2.py`` is how it was made.
SHIPPED_PDB = Path(__file__).parent / "data" / "il2.pdb"

#: Atomic numbers of the elements found in biomolecules (the Gaussian weights).
ATOMIC_NUMBER = {"H": 1, "C": 6, "N": 7, "O": 8, "F": 9, "NA": 11, "MG": 12, "P": 15, "S": 16, "CL": 17, "K": 19,
                 "CA": 20, "MN": 25, "FE": 26, "CO": 27, "NI": 28, "CU": 29, "ZN": 30, "SE": 34, "BR": 35, "I": 53}


@dataclass(frozen=True)
class Atoms:
    """Atoms of a model: ``coords`` (n, 3) in Å and ``elements`` (n upper-case symbols)."""

    coords: torch.Tensor
    elements: tuple[str, ...]

    @property
    def weights(self) -> torch.Tensor:
        return torch.tensor([float(ATOMIC_NUMBER[e]) for e in self.elements], dtype=torch.float64)


def pymol_pdbs() -> list[Path]:
    """The PDB files of Debian's ``pymol-data`` package, where it is installed (else an empty list)."""
    root = Path("/usr/share/pymol/data")
    return sorted(p for sub in ("demo", "tut") for p in (root / sub).glob("*.pdb")) if root.is_dir() else []


def _element(line: str, path: str, lineno: int) -> str:
    sym = line[76:78].strip().upper()
    if not sym:  # old files: the element is the atom name's first letters, right-justified in columns 13-14
        name = line[12:16]
        sym = (name[:2].strip() if name[0] != " " and not name[0].isdigit() else name[1]).upper()
        sym = "".join(ch for ch in sym if ch.isalpha())
    if sym not in ATOMIC_NUMBER:
        raise ValueError(f"{path}, line {lineno}: unknown element {sym!r} (field 'element', columns 77-78); "
                         f"known: {', '.join(sorted(ATOMIC_NUMBER))}")
    return sym


def read_pdb(path: str | os.PathLike[str]) -> Atoms:
    """Atoms of the ``ATOM``/``HETATM`` records of a PDB file (fixed columns: x, y, z in 31-54, element in 77-78).

    Only the first model of a multi-model file is read; alternate locations other than blank/``A`` are skipped.

    Raises:
        ValueError: the file is missing, a coordinate field does not parse (naming the line and field), an
            element is unknown, or there are no atoms.
    """
    p = Path(path)
    if not p.is_file():
        raise ValueError(f"no such PDB file: {p}")
    coords: list[tuple[float, float, float]] = []
    elements: list[str] = []
    with open(p, encoding="ascii", errors="replace") as fh:
        for lineno, line in enumerate(fh, 1):
            rec = line[:6]
            if rec.startswith("ENDMDL"):
                break
            if not (rec.startswith("ATOM") or rec.startswith("HETATM")):
                continue
            if line[16:17] not in (" ", "A", ""):
                continue
            xyz = []
            for field, (a, b) in zip("xyz", ((30, 38), (38, 46), (46, 54))):
                try:
                    xyz.append(float(line[a:b]))
                except ValueError:
                    raise ValueError(f"{p}, line {lineno}: cannot parse coordinate {field} (columns {a + 1}-{b}) "
                                     f"from {line[a:b]!r}") from None
            coords.append((xyz[0], xyz[1], xyz[2]))
            elements.append(_element(line.rstrip("\n").ljust(80), str(p), lineno))
    if not coords:
        raise ValueError(f"{p}: no ATOM or HETATM records (not a PDB file, or an empty model)")
    return Atoms(torch.tensor(coords, dtype=torch.float64), tuple(elements))


def density_from_pdb(path: str | os.PathLike[str] | Atoms, box: int, pixel_size: float, resolution: float,
                     dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """A ``(box, box, box)`` density ``V[z, y, x]`` of the atoms in ``path`` (see the module docstring).

    Args:
        path: a PDB file, or :class:`Atoms` already read.
        box: side of the cubic grid in voxels.
        pixel_size: voxel side in Å.
        resolution: Gaussian width parameter in Å (``sigma = resolution / (pi sqrt 2)``).

    Raises:
        ValueError: bad sizes, or the model (plus 2 sigma) does not fit in the box.
    """
    if not isinstance(box, int) or box < 4:
        raise ValueError(f"box must be an int >= 4 voxels, got {box!r}")
    if not pixel_size > 0 or not resolution > 0:
        raise ValueError(f"pixel_size and resolution must be > 0 Å, got {pixel_size!r} and {resolution!r}")
    atoms = path if isinstance(path, Atoms) else read_pdb(path)
    sigma = resolution / (math.pi * math.sqrt(2.0))
    x = atoms.coords - atoms.coords.mean(0)
    half = (box // 2 - 1) * pixel_size
    extent = float(x.abs().max()) + 2 * sigma
    if extent > half:
        raise ValueError(f"the model spans ±{extent:.1f} Å (atoms plus 2 sigma) but a box of {box} voxels of "
                         f"{pixel_size} Å holds ±{half:.1f} Å: use a larger box or pixel_size")
    grid = (torch.arange(box, dtype=torch.float64) - box // 2) * pixel_size
    norm = (pixel_size / (sigma * math.sqrt(2 * math.pi))) ** 3
    V = torch.zeros(box, box, box, dtype=torch.float64)
    w = atoms.weights * norm
    for s in range(0, len(w), 4096):  # blocks bound the memory at 3 x 4096 x box
        g = torch.exp(-((x[s:s + 4096, :, None] - grid) ** 2) / (2 * sigma**2))  # (a, 3, box)
        V += torch.einsum("a,az,ay,ax->zyx", w[s:s + 4096], g[:, 2], g[:, 1], g[:, 0])
    return V.to(dtype)


def gaussian_blobs(box: int, n_blobs: int = 12, seed: int = 0, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """A synthetic asymmetric ``(box, box, box)`` volume: ``n_blobs`` random anisotropic Gaussians (seeded).

    Centres are uniform in a ball of radius ``box / 4``, axes have standard deviations in
    ``[box / 24, box / 10]`` voxels along random orientations, amplitudes in [0.5, 1.5]; the maximum is 1.
    """
    if not isinstance(box, int) or box < 4 or not isinstance(n_blobs, int) or n_blobs < 1:
        raise ValueError(f"box must be an int >= 4 and n_blobs an int >= 1, got {box!r} and {n_blobs!r}")
    from .geometry import random_rotations

    g = torch.Generator().manual_seed(seed)
    c = torch.randn(n_blobs, 3, generator=g, dtype=torch.float64)
    c = c / c.norm(dim=1, keepdim=True) * torch.rand(n_blobs, 1, generator=g, dtype=torch.float64) ** (1 / 3) * box / 4
    sd = box / 24 + torch.rand(n_blobs, 3, generator=g, dtype=torch.float64) * (box / 10 - box / 24)
    Q = random_rotations(n_blobs, g, dtype=torch.float64)
    amp = 0.5 + torch.rand(n_blobs, generator=g, dtype=torch.float64)
    ax = torch.arange(box, dtype=torch.float64) - box // 2
    pts = torch.stack(torch.meshgrid(ax, ax, ax, indexing="ij")[::-1], -1).reshape(-1, 3)  # (x, y, z) per voxel
    V = torch.zeros(pts.shape[0], dtype=torch.float64)
    for i in range(n_blobs):
        d = (pts - c[i]) @ Q[i]  # coordinates along the blob's axes
        V += amp[i] * torch.exp(-0.5 * ((d / sd[i]) ** 2).sum(1))
    V = V.reshape(box, box, box)
    return (V / V.max()).to(dtype)
