"""Generate the shipped QM9-like molecule set (``data/qm9_like.npz``), once, offline.

Molecules: RDKit's bundled NCI SMILES (``Data/NCI/first_5K.smi``, public domain) with at most 9
heavy atoms from {C, N, O, F}, neutral, one fragment -- the QM9 chemical space.  Geometry: ETKDG
embedding (``randomSeed=0``) then an MMFF94 minimisation.  Targets, at the **HF/STO-3G** level of
theory (restricted Hartree-Fock, minimal basis, pyscf) on the MMFF geometry: HOMO, LUMO and gap
(Hartree), dipole moment magnitude (Debye) and total energy (Hartree).  These are real but cheap
quantum-chemistry numbers, not QM9's B3LYP/6-31G(2df,p) values.

Run (needs ``pip install steerable[chem]``, i.e. rdkit, pyscf, h5py)::

    python -m steerable.datasets.make_qm9_like --max-molecules 300 --time-limit 900
"""
from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import numpy as np

OUT = Path(__file__).with_name("data") / "qm9_like.npz"
ELEMENTS = {"H": 1, "C": 6, "N": 7, "O": 8, "F": 9}
BOND_TYPES = {"SINGLE": 1, "DOUBLE": 2, "TRIPLE": 3, "AROMATIC": 4}
TARGETS = ("homo", "lumo", "gap", "dipole", "energy")


def _candidates(max_heavy: int):
    from rdkit import Chem, RDConfig

    path = os.path.join(RDConfig.RDDataDir, "NCI", "first_5K.smi")
    for line in open(path):
        parts = line.split()
        if not parts:
            continue
        m = Chem.MolFromSmiles(parts[0])
        if m is None or m.GetNumHeavyAtoms() > max_heavy or len(Chem.GetMolFrags(m)) != 1:
            continue
        if any(a.GetSymbol() not in ELEMENTS or a.GetFormalCharge() != 0 or a.GetNumRadicalElectrons() for a in m.GetAtoms()):
            continue
        yield parts[0], m


def _embed(m):
    from rdkit import Chem
    from rdkit.Chem import AllChem

    mh = Chem.AddHs(m)
    if AllChem.EmbedMolecule(mh, randomSeed=0) != 0:
        return None
    if AllChem.MMFFOptimizeMolecule(mh, maxIters=500) == -1:
        return None
    return mh


def _hf_sto3g(symbols: list[str], pos: np.ndarray) -> tuple[float, ...] | None:
    from pyscf import gto, scf

    mol = gto.M(atom=[(s, tuple(p)) for s, p in zip(symbols, pos)], basis="sto-3g", unit="Angstrom", verbose=0)
    mf = scf.RHF(mol)
    mf.max_cycle = 100
    e = mf.kernel()
    if not mf.converged:
        return None
    occ = mf.mo_occ > 0
    homo, lumo = float(mf.mo_energy[occ].max()), float(mf.mo_energy[~occ].min())
    dip = float(np.linalg.norm(mf.dip_moment(verbose=0)))
    return homo, lumo, lumo - homo, dip, float(e)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--max-molecules", type=int, default=300)
    ap.add_argument("--max-heavy", type=int, default=9)
    ap.add_argument("--time-limit", type=float, default=900.0, help="seconds; stop early and keep what is done")
    ap.add_argument("--out", type=Path, default=OUT)
    a = ap.parse_args(argv)
    t0 = time.time()
    Z, R, off, bonds, boff, btype, y, smiles = [], [], [0], [], [0], [], [], []
    for smi, m in _candidates(a.max_heavy):
        if len(y) >= a.max_molecules or time.time() - t0 > a.time_limit:
            break
        mh = _embed(m)
        if mh is None:
            continue
        sym = [at.GetSymbol() for at in mh.GetAtoms()]
        pos = mh.GetConformer().GetPositions()
        t = _hf_sto3g(sym, pos)
        if t is None:
            continue
        Z += [ELEMENTS[s] for s in sym]
        R.append(pos.astype(np.float32))
        off.append(off[-1] + len(sym))
        for b in mh.GetBonds():
            bonds.append((b.GetBeginAtomIdx(), b.GetEndAtomIdx()))
            btype.append(BOND_TYPES.get(str(b.GetBondType()), 1))
        boff.append(len(bonds))
        y.append(t)
        smiles.append(smi)
        print(f"{len(y):4d} {smi:30s} gap={t[2]:.4f} Ha  ({time.time() - t0:.0f}s)", flush=True)
    a.out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(
        a.out, Z=np.array(Z, np.uint8), pos=np.concatenate(R), atom_offsets=np.array(off, np.int64),
        bonds=np.array(bonds, np.int16).reshape(-1, 2), bond_type=np.array(btype, np.uint8),
        bond_offsets=np.array(boff, np.int64), targets=np.array(y, np.float64), target_names=np.array(TARGETS),
        smiles=np.array(smiles), level_of_theory=np.array("HF/STO-3G on ETKDG+MMFF94 geometries (pyscf, rdkit)"),
    )
    print(f"wrote {len(y)} molecules to {a.out} ({a.out.stat().st_size} bytes) in {time.time() - t0:.0f}s")


if __name__ == "__main__":
    main()
