"""Group specification strings for the planar models: ``'c8'``, ``'d16|c16'``, ``'so2'``, ``'o2'``...

A spec names the symmetry group ``G`` of a model, optionally followed by ``|H``: the
subgroup the later layers are restricted to (the E(2)-CNN paper's "restricted" models,
e.g. ``'d16|c16'``: D16-equivariant early layers, C16 after the restriction).

=========  =====================================  ==========
spec       group                                  gspace
=========  =====================================  ==========
``c1``     trivial group (no equivariance)        ``trivialOnR2()``
``cN``     rotations by multiples of 2pi/N        ``rot2dOnR2(N)``
``dN``     ``cN`` plus reflections (``d1``: flip)  ``flipRot2dOnR2(N, axis=0.0)``
``so2``    all rotations                          ``rot2dOnR2(-1)``
``o2``     all rotations and reflections          ``flipRot2dOnR2(-1, axis=0.0)``
=========  =====================================  ==========

Example:
    >>> spec = parse_group_spec("d16|c16")
    >>> spec.name, spec.restrict_name, spec.restrict_id
    ('d16', 'c16', (None, 16))
    >>> parse_group_spec("c8").order
    8
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Hashable

from ..gspaces import GSpace, flipRot2dOnR2, rot2dOnR2, trivialOnR2

__all__ = ["GroupSpec", "parse_group_spec", "make_gspace"]

_SPEC = re.compile(r"^(c|d)(\d+)$|^(so2|o2|trivial)$")


@dataclass(frozen=True)
class GroupSpec:
    """A parsed group spec.

    Attributes:
        name: canonical name of ``G`` (``'c8'``, ``'d16'``, ``'so2'``, ``'o2'``, ``'c1'``).
        kind: ``'c'``, ``'d'``, ``'so2'`` or ``'o2'``.
        N: the rotation order (``-1`` for the continuous groups).
        restrict_name: canonical name of the subgroup ``H`` or ``None``.
        restrict_id: the subgroup id of ``H`` in ``G`` (as ``GSpace.restrict`` takes it) or ``None``.
    """

    name: str
    kind: str
    N: int
    restrict_name: str | None = None
    restrict_id: Hashable = None

    @property
    def continuous(self) -> bool:
        return self.N == -1

    @property
    def order(self) -> int | None:
        """``|G|`` for finite groups, ``None`` for ``SO(2)``/``O(2)``."""
        if self.continuous:
            return None
        return self.N * (2 if self.kind == "d" else 1)

    @property
    def full_name(self) -> str:
        return self.name if self.restrict_name is None else f"{self.name}|{self.restrict_name}"


def _parse_one(s: str) -> tuple[str, str, int]:
    s = s.strip().lower().replace("(", "").replace(")", "").replace("_", "")
    m = _SPEC.match(s)
    if m is None:
        raise ValueError(f"unknown group {s!r}; expected cN, dN (N >= 1), so2, o2 or trivial (e.g. 'c8', 'd16|c16')")
    if m.group(3):
        if m.group(3) == "trivial":
            return "c1", "c", 1
        return m.group(3), m.group(3), -1
    kind, N = m.group(1), int(m.group(2))
    if N < 1:
        raise ValueError(f"group order must be >= 1, got {s!r}")
    return f"{kind}{N}", kind, N


def _restriction_id(g: tuple[str, str, int], h: tuple[str, str, int]) -> Hashable:
    (gname, gk, gN), (hname, hk, hN) = g, h
    err = ValueError(f"{hname} is not a subgroup of {gname} that the models support")
    if gk == "c":
        if hk != "c" or gN % hN:
            raise err
        return hN
    if gk == "d":
        if hk == "c" and gN % hN == 0:
            return (None, hN)
        if hk == "d" and gN % hN == 0:
            return (0, hN)
        raise err
    if gk == "so2":
        if hk == "c":
            return hN
        raise err
    # O(2)
    if hk == "so2":
        return (None, -1)
    if hk == "c":
        return (None, hN)
    if hk == "d":
        return (0.0, hN)
    raise err


def parse_group_spec(spec: str | GroupSpec, restrict: str | None = None) -> GroupSpec:
    """Parse ``'G'`` or ``'G|H'`` (or ``spec='G', restrict='H'``) into a :class:`GroupSpec`.

    Example:
        >>> parse_group_spec("o2", restrict="so2").restrict_id
        (None, -1)
    """
    if isinstance(spec, GroupSpec):
        if restrict is None:
            return spec
        spec = spec.name
    if not isinstance(spec, str) or not spec.strip():
        raise ValueError(f"expected a group spec string such as 'c8' or 'd16|c16', got {spec!r}")
    parts = spec.split("|")
    if len(parts) > 2:
        raise ValueError(f"expected at most one restriction 'G|H', got {spec!r}")
    if len(parts) == 2:
        if restrict is not None:
            raise ValueError(f"give the restriction once: {spec!r} and restrict={restrict!r}")
        restrict = parts[1]
    g = _parse_one(parts[0])
    if restrict is None or restrict == "":
        return GroupSpec(g[0], g[1], g[2])
    h = _parse_one(restrict)
    if h == g:
        return GroupSpec(g[0], g[1], g[2])
    return GroupSpec(g[0], g[1], g[2], h[0], _restriction_id(g, h))


def make_gspace(spec: GroupSpec, maxfreq: int = 6) -> GSpace:
    """The gspace of ``spec``'s group ``G`` (not of the subgroup)."""
    if spec.kind == "c":
        return trivialOnR2() if spec.N == 1 else rot2dOnR2(spec.N)
    if spec.kind == "d":
        return flipRot2dOnR2(spec.N, axis=0.0)
    if spec.kind == "so2":
        return rot2dOnR2(-1, maximum_frequency=maxfreq)
    return flipRot2dOnR2(-1, maximum_frequency=maxfreq, axis=0.0)
