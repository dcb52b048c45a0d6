"""Small molecules with 3D coordinates: QM9 readers and the shipped QM9-like set.

A :class:`Molecules` holds ``n`` molecules flat: atomic numbers ``Z`` and positions ``pos``
(Angstrom) of all atoms with ``atom_offsets`` (molecule ``i`` is atoms
``atom_offsets[i]:atom_offsets[i+1]``), bonds (atom indices within the molecule, with types
1 single, 2 double, 3 triple, 4 aromatic) with ``bond_offsets``, and a ``(n, T)`` target table.

* :func:`load_qm9_like`: the set shipped with steerable (``data/qm9_like.npz``, 300 molecules of
  <= 9 heavy atoms from RDKit's NCI SMILES, ETKDG+MMFF94 geometries, targets at **HF/STO-3G**:
  HOMO, LUMO, gap, total energy in Hartree, dipole in Debye), made by
  ``python -m steerable.datasets.make_qm9_like``.
* :func:`read_qm9_xyz`: QM9's ``dsgdb9nsd_*.xyz`` files (a directory or the ``.tar.bz2`` archive).
* :func:`read_qm9_sdf`: ``gdb9.sdf`` with its ``gdb9.sdf.csv`` (bonds read from the SDF).

Example:
    >>> m = load_qm9_like()
    >>> len(m), m.target_names[:3]
    (300, ('homo', 'lumo', 'gap'))
"""
from __future__ import annotations

import csv
import os
import tarfile
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator

import numpy as np

__all__ = ["Molecules", "load_qm9_like", "read_qm9_xyz", "read_qm9_sdf", "QM9_TARGETS", "QM9_LIKE_PATH"]

QM9_LIKE_PATH = Path(__file__).with_name("data") / "qm9_like.npz"
#: the scalar properties on line 2 of a QM9 ``.xyz`` file, after the tag and index
QM9_TARGETS = ("A", "B", "C", "mu", "alpha", "homo", "lumo", "gap", "r2", "zpve", "U0", "U", "H", "G", "Cv")
_SYMBOLS = {"H": 1, "C": 6, "N": 7, "O": 8, "F": 9}


@dataclass(frozen=True)
class Molecules:
    """Molecules stored flat (module docstring); ``m[i]`` is a dict of one molecule's arrays."""

    Z: np.ndarray
    pos: np.ndarray
    atom_offsets: np.ndarray
    bonds: np.ndarray
    bond_type: np.ndarray
    bond_offsets: np.ndarray
    targets: np.ndarray
    target_names: tuple[str, ...]
    level_of_theory: str = ""

    def __len__(self) -> int:
        return len(self.atom_offsets) - 1

    def __getitem__(self, i: int) -> dict[str, np.ndarray]:
        if not -len(self) <= i < len(self):
            raise IndexError(f"molecule index {i} out of range for {len(self)} molecules")
        i %= len(self)
        a, b = self.atom_offsets[i], self.atom_offsets[i + 1]
        c, d = self.bond_offsets[i], self.bond_offsets[i + 1]
        return {"Z": self.Z[a:b], "pos": self.pos[a:b], "bonds": self.bonds[c:d], "bond_type": self.bond_type[c:d],
                "targets": self.targets[i]}

    def target(self, name: str) -> np.ndarray:
        """The column ``name`` of the target table."""
        if name not in self.target_names:
            raise ValueError(f"unknown target {name!r}; this set has {self.target_names}")
        return self.targets[:, self.target_names.index(name)]


def load_qm9_like(path: str | os.PathLike[str] | None = None) -> Molecules:
    """The shipped QM9-like set (or one written by ``make_qm9_like`` at ``path``)."""
    p = Path(path) if path is not None else QM9_LIKE_PATH
    if not p.is_file():
        raise FileNotFoundError(f"no QM9-like file at {p}; generate it with `python -m steerable.datasets.make_qm9_like --out {p}` "
                                "(needs pip install steerable[chem])")
    with np.load(p, allow_pickle=False) as f:
        return Molecules(f["Z"].astype(np.int64), f["pos"].astype(np.float32), f["atom_offsets"], f["bonds"].astype(np.int64),
                         f["bond_type"].astype(np.int64), f["bond_offsets"], f["targets"],
                         tuple(str(s) for s in f["target_names"]), str(f["level_of_theory"]))


def _float(s: str) -> float:
    return float(s.replace("*^", "e"))  # QM9 writes Mathematica exponents: 1.2*^-5


def _parse_xyz(text: str, name: str) -> tuple[list[int], np.ndarray, list[float]]:
    lines = text.splitlines()
    try:
        n = int(lines[0])
        props = lines[1].split()
        if props[0] != "gdb":
            raise ValueError("line 2 does not start with 'gdb'")
        targets = [_float(v) for v in props[2 : 2 + len(QM9_TARGETS)]]
        Z, pos = [], []
        for line in lines[2 : 2 + n]:
            el, x, y, z = line.split()[:4]
            Z.append(_SYMBOLS[el])
            pos.append([_float(x), _float(y), _float(z)])
    except (IndexError, ValueError, KeyError) as e:
        raise ValueError(f"{name} is not a QM9 .xyz file ({e})") from e
    return Z, np.asarray(pos, np.float32), targets


def _xyz_texts(source: Path) -> Iterator[tuple[str, str]]:
    if source.is_dir():
        files = sorted(source.glob("*.xyz"))
        if not files:
            raise FileNotFoundError(f"no .xyz files in {source} (expected QM9's dsgdb9nsd_*.xyz)")
        for f in files:
            yield f.name, f.read_text()
    elif source.is_file() and tarfile.is_tarfile(source):
        with tarfile.open(source) as tf:
            for m in tf:
                if m.isfile() and m.name.endswith(".xyz"):
                    yield m.name, tf.extractfile(m).read().decode()
    else:
        raise FileNotFoundError(f"{source} is neither a directory of QM9 .xyz files nor a tar archive of them")


def _pack(items: Iterable[tuple[list[int], np.ndarray, list[tuple[int, int, int]], list[float]]],
          names: tuple[str, ...], level: str, limit: int | None) -> Molecules:
    Z, pos, off, bonds, btype, boff, y = [], [], [0], [], [], [0], []
    for k, (z, p, b, t) in enumerate(items):
        if limit is not None and k >= limit:
            break
        Z += z
        pos.append(p)
        off.append(off[-1] + len(z))
        bonds += [(i, j) for i, j, _ in b]
        btype += [bt for _, _, bt in b]
        boff.append(len(bonds))
        y.append(t)
    if not y:
        raise ValueError("no molecules read")
    return Molecules(np.array(Z, np.int64), np.concatenate(pos), np.array(off), np.array(bonds, np.int64).reshape(-1, 2),
                     np.array(btype, np.int64), np.array(boff), np.array(y, np.float64), names, level)


def read_qm9_xyz(source: str | os.PathLike[str], limit: int | None = None) -> Molecules:
    """QM9 from its ``.xyz`` files (directory or ``dsgdb9nsd.xyz.tar.bz2``); no bonds (QM9's xyz has none).

    Targets: :data:`QM9_TARGETS` in QM9's units (B3LYP/6-31G(2df,p)).
    """
    it = ((z, p, [], t) for name, text in _xyz_texts(Path(source)) for z, p, t in [_parse_xyz(text, name)])
    return _pack(it, QM9_TARGETS, "B3LYP/6-31G(2df,p) (QM9)", limit)


def _parse_molblocks(text: str) -> Iterator[tuple[list[int], np.ndarray, list[tuple[int, int, int]]]]:
    for block in text.split("$$$$"):
        lines = block.strip("\n").splitlines()
        if len(lines) < 4:
            continue
        try:
            na, nb = int(lines[3][0:3]), int(lines[3][3:6])
            Z, pos = [], []
            for line in lines[4 : 4 + na]:
                x, y, z, el = line.split()[:4]
                Z.append(_SYMBOLS[el])
                pos.append([float(x), float(y), float(z)])
            b = []
            for line in lines[4 + na : 4 + na + nb]:
                b.append((int(line[0:3]) - 1, int(line[3:6]) - 1, int(line[6:9])))
        except (ValueError, KeyError, IndexError) as e:
            raise ValueError(f"malformed V2000 molblock ({e}) starting {lines[:1]}") from e
        yield Z, np.asarray(pos, np.float32), b


def read_qm9_sdf(sdf: str | os.PathLike[str], csv_path: str | os.PathLike[str] | None = None, limit: int | None = None) -> Molecules:
    """QM9 from ``gdb9.sdf`` and ``gdb9.sdf.csv`` (default: the SDF's path + ``.csv``), with bonds."""
    sdf = Path(sdf)
    csv_path = Path(csv_path) if csv_path is not None else Path(str(sdf) + ".csv")
    for p in (sdf, csv_path):
        if not p.is_file():
            raise FileNotFoundError(f"missing {p}: read_qm9_sdf needs gdb9.sdf and gdb9.sdf.csv")
    with open(csv_path, newline="") as f:
        rows = list(csv.reader(f))
    header, rows = rows[0], rows[1:]
    names = tuple(h for h in header[1:])
    table = [[float(v) for v in r[1:]] for r in rows]
    mols = _parse_molblocks(sdf.read_text())
    return _pack(((z, p, b, t) for (z, p, b), t in zip(mols, table)), names, "B3LYP/6-31G(2df,p) (QM9)", limit)
