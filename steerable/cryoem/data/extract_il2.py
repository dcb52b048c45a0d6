"""How ``il2.pdb`` was made: the ATOM/HETATM/TER/END records of Debian ``pymol-data``'s ``data/demo/il2.pdb``.

Run ``python -m steerable.cryoem.data.extract_il2 [SOURCE]`` with ``SOURCE`` the installed file (default
``/usr/share/pymol/data/demo/il2.pdb``; or unpack the package with ``apt-get download pymol-data`` and
``dpkg-deb -x``). The structure is interleukin-2 (126 residues, 2,084 atoms with hydrogens); PDB entries are CC0.
"""
from __future__ import annotations

import sys
from pathlib import Path


def extract(source: Path, target: Path) -> int:
    """Copy the coordinate records of ``source`` into ``target``; returns the number of atoms."""
    keep = [ln for ln in source.read_text().splitlines() if ln[:6].rstrip() in ("ATOM", "HETATM", "TER", "END")]
    target.write_text("REMARK   1 INTERLEUKIN-2, FROM DEBIAN PYMOL-DATA DATA/DEMO/IL2.PDB\n" + "\n".join(keep) + "\n")
    return sum(ln.startswith(("ATOM", "HETATM")) for ln in keep)


if __name__ == "__main__":
    src = Path(sys.argv[1] if len(sys.argv) > 1 else "/usr/share/pymol/data/demo/il2.pdb")
    print(extract(src, Path(__file__).with_name("il2.pdb")), "atoms")
