"""Subgroups of ``SO(3)`` and ``O(3)``: their ids (readable and escnn's tuples) and inclusions.

Every id is normalised to a canonical tuple ``(kind, N)`` or ``(kind, N, c)``; a trailing
element ``c`` conjugates the subgroup, ``incl_c(h) = c^-1 incl(h) c`` (escnn's adjoint).

=====================================  ==========================================================
canonical id                            subgroup (rotations about z; "flip": pi about x)
=====================================  ==========================================================
``('so3',)``, ``('o3',)``               the group itself / ``SO(3)`` in ``O(3)``
``('so2',)``, ``('cn', N)``             ``SO(2)``, ``C_N`` about z
``('o2',)``, ``('dn', N)``              with the flip (*dihedral*); ``N = 1``: ``C_2`` of the flip
``('tetra',)`` ``('octa',)`` ``('ico',)``  the rotation groups of the platonic solids
``('cyl', N)``                           *conical* ``O(2)`` (``N=-1``), ``D_N``, ``C_2`` (``N=1``):
                                        rotations about z and the mirror ``y -> -y``
``('inv',)``                            ``{I, -I}``
``('full', 'octa')`` ...                 ``C_2 x O`` (``O_h``), ``C_2 x I`` (``I_h``), ``C_2 x T`` (``T_h``)
``('fulltetra',)``                       ``T_d``: ``T`` and ``-R`` for the rotations ``R`` of ``O \\ T``
``('cylinder', N)``                      ``C_2 x SO(2)`` (``N=-1``), ``C_2 x C_N``; ``N=1``: ``inv``
``('fullcylinder', N)``                  ``C_2 x O(2)`` (``N=-1``), ``C_2 x D_N`` (``C_2 x C_2`` for 1)
=====================================  ==========================================================

escnn's tuples map onto these: in ``SO(3)`` ``(False, N)`` is ``cn``/``so2``, ``(True, N)``
``dn``/``o2``, and a float ``a`` in place of ``True`` turns the flip axis to the angle ``a/2``
in the xy-plane; in ``O(3)`` ``(inv, x)`` with ``x`` a platonic name or ``'so3'``,
``(inv, flip, N)`` for the planar ones with (``inv=True``) or without the inversion,
``('cone', N)``/``('cone', a, N)`` for the conical ones and ``'fulltetra'``.

Example:
    >>> from steerable.group import o3_group
    >>> G = o3_group()
    >>> H, incl, restr = G.subgroup((True, 'octa'))
    >>> H.name, H.order()
    ('FullOctahedral', 48)
"""
from __future__ import annotations

import math
from typing import Any, Hashable

import numpy as np

from . import so3_math as M
from .direct_product import (
    DirectProductGroup, cylinder_discrete_group, cylinder_group, direct_product, full_cylinder_discrete_group,
    full_cylinder_group, full_ico_group, full_octa_group, full_tetra_group,
)
from .finite_rotations import icosahedral_group, octahedral_group, tetrahedral_group
from .group import Group, GroupElement, SubgroupTriple
from .planar import cyclic_group, dihedral_group, o2_group, so2_group

__all__ = ["normalise_spatial_id", "spatial_subgroup", "restricted_lie_generator_axes"]

_AXES = np.eye(3)
_RX_PI = M.matrix_to_quat(M.axis_angle_to_matrix(_AXES[0], math.pi))
_MIRROR_Y = np.diag([1.0, -1.0, 1.0])
_PLATONIC = {"tetra": tetrahedral_group, "octa": octahedral_group, "ico": icosahedral_group}
_FULL = {"tetra": full_tetra_group, "octa": full_octa_group, "ico": full_ico_group}
_NAMED = ("so3", "o3", "inv", "so2", "o2", "tetra", "octa", "ico", "fulltetra")
_WITH_N = ("cn", "dn", "cyl", "cylinder", "fullcylinder")
_O3_ONLY = ("o3", "inv", "cyl", "full", "fulltetra", "cylinder", "fullcylinder")


# ---------------------------------------------------------------------- ids
def _check_N(N: Any, id: Any) -> int:
    if isinstance(N, (bool, np.bool_)) or not isinstance(N, (int, np.integer)) or (N < 1 and N != -1):
        raise ValueError(f"subgroup id {id!r} needs an integer N >= 1 or N = -1 (continuous), got {N!r}")
    return int(N)


def _flip_flag(x: Any, id: Any) -> tuple[bool, float | None]:
    """escnn's flip entry: ``False``/``True`` (``0``/``1`` too) or a float angle ``a`` (flip axis ``a/2``)."""
    if isinstance(x, (bool, np.bool_)) or (isinstance(x, (int, np.integer)) and x in (0, 1)):
        return bool(x), None
    if isinstance(x, (float, np.floating)):
        return True, float(x)
    raise ValueError(f"subgroup id {id!r}: the flip entry must be a bool or a float angle, got {x!r}")


def _axis_conjugator(G: Group, a: float | None) -> GroupElement | None:
    """``c`` with ``c^-1 F c`` the flip about the axis at angle ``a/2``: ``c = R_z(-a/2)``."""
    if a is None or a == 0.0:
        return None
    return GroupElement(G, G._rotation_value(M.matrix_to_quat(M.axis_angle_to_matrix(_AXES[2], -a / 2))))


def _with_conj(base: tuple, c: GroupElement | None) -> tuple:
    if c is None:
        return base
    if len(base) == 3:
        c = base[2] @ c
    return base[:2] + (c,)


def normalise_spatial_id(id: Hashable, G: Group) -> tuple:
    """The canonical form of the subgroup id ``id`` of ``G`` (``SO(3)`` or ``O(3)``); ValueError if invalid."""
    if isinstance(id, tuple) and len(id) > 1 and isinstance(id[-1], GroupElement):
        adj = id[-1]
        if adj.group != G:
            raise ValueError(f"subgroup id {id!r}: the adjoint element must belong to {G.name}, not {adj.group.name}")
        rest = id[:-1] if len(id) > 2 else id[0]
        return _with_conj(normalise_spatial_id(rest, G), adj)
    if isinstance(id, str):
        id = (id,)
    if not isinstance(id, tuple) or not id:
        raise ValueError(f"invalid subgroup id {id!r} of {G.name}")
    head = id[0]
    if isinstance(head, str):
        return _readable(id, G)
    flag, a = _flip_flag(head, id)
    if len(id) == 2 and isinstance(id[1], str):  # O(3): (inversion?, 'so3' | platonic name)
        if id[1] not in ("so3", *_PLATONIC):
            raise ValueError(f"subgroup id {id!r}: expected 'so3', 'tetra', 'octa' or 'ico' after the flag")
        if a is not None:
            raise ValueError(f"subgroup id {id!r}: the inversion flag must be a bool")
        if id[1] == "so3":
            return ("o3", None) if flag else ("so3", None)
        return ("full", id[1]) if flag else (id[1], None)
    if len(id) == 2:  # (flip, N): planar subgroups about z
        return _planar(flag, a, _check_N(id[1], id), G)
    if len(id) == 3:  # O(3): (inversion, flip, N)
        if a is not None:
            raise ValueError(f"subgroup id {id!r}: the inversion flag must be a bool")
        flip, axis = _flip_flag(id[1], id)
        N = _check_N(id[2], id)
        if not flag:
            return _planar(flip, axis, N, G)
        if not flip:
            return ("inv", None) if N == 1 else ("cylinder", N)
        return _with_conj(("fullcylinder", N), _axis_conjugator(G, axis))
    raise ValueError(f"invalid subgroup id {id!r} of {G.name}")


def _planar(flip: bool, axis: float | None, N: int, G: Group) -> tuple:
    if not flip:
        return ("so2", None) if N == -1 else ("cn", N)
    return _with_conj(("o2", None) if N == -1 else ("dn", N), _axis_conjugator(G, axis))


def _readable(id: tuple, G: Group) -> tuple:
    kind = id[0]
    if kind == "cone":  # escnn: ('cone', N) or ('cone', a, N)
        if len(id) == 3:
            _, a = _flip_flag(float(id[1]) if isinstance(id[1], (int, np.integer)) and not isinstance(id[1], bool) else id[1], id)
            return _with_conj(("cyl", _check_N(id[2], id)), _axis_conjugator(G, a))
        kind = "cyl"
    if kind in _NAMED and len(id) == 1 or (len(id) == 2 and id[1] is None and kind in _NAMED):
        return (kind, None)
    if kind in _WITH_N and len(id) == 2:
        N = _check_N(id[1], id)
        if N == -1 and kind in ("cn", "dn"):
            return ("so2" if kind == "cn" else "o2", None)
        return (kind, N)
    if kind == "full" and len(id) == 2 and id[1] in _PLATONIC:
        return ("full", id[1])
    raise ValueError(
        f"unknown subgroup id {id!r} of {G.name}; expected 'so3', 'o3', 'inv', ('so2',), ('cn', N), ('o2',), "
        "('dn', N), ('cyl', N), ('cone', N), 'tetra', 'octa', 'ico', ('full', 'octa'), 'fulltetra', ('cylinder', N), "
        "('fullcylinder', N), or escnn's tuples such as (False, -1), (True, 'octa'), (True, False, 4)"
    )


# ---------------------------------------------------------------------- constructions
def spatial_subgroup(G: Group, id: tuple) -> SubgroupTriple:
    """``(H, inclusion, restriction)`` for the canonical id ``id`` of ``G``."""
    if len(id) == 3:
        return _conjugated(spatial_subgroup(G, id[:2]), id[2])
    kind, N = id
    if kind in _O3_ONLY and not G._has_inversion and kind != "o3":
        raise ValueError(f"unknown subgroup id {id!r} of {G.name}: it needs the inversion or mirrors of O(3)")
    if kind == ("o3" if G._has_inversion else "so3"):
        return G, (lambda h: h), (lambda g: g)
    if kind == "o3":
        raise ValueError(f"unknown subgroup id {id!r} of SO(3)")
    if kind == "so3":
        H = G.rotation_group()
        return H, (lambda h: GroupElement(G, G._rotation_value(h.value))), (
            lambda g: GroupElement(H, G._quaternion(g.value)) if G._is_rotation(g.value) else None)
    if kind in ("so2", "cn", "o2", "dn"):
        if kind == "dn" and N == 1:
            return _d1_as_c2(_rotation_subgroup(G, ("dn", 1)))
        return _rotation_subgroup(G, (kind, N))
    if kind in _PLATONIC:
        return _platonic_subgroup(G, kind)
    if kind == "inv":
        H = cyclic_group(2)
        return H, (lambda h: GroupElement(G, (h.value, G._identity_value()[1]))), (
            lambda g: GroupElement(H, g.value[0]) if abs(abs(g.value[1][3]) - 1) < 1e-9 else None)
    if kind == "cyl":
        return _d1_as_c2(_cone_subgroup(G, 1)) if N == 1 else _cone_subgroup(G, N)
    if kind == "full":
        return _inversion_product(G, _FULL[N](), _platonic_subgroup(G, N))
    if kind == "fulltetra":
        return _fulltetra_subgroup(G)
    if kind == "cylinder":
        if N == 1:
            return spatial_subgroup(G, ("inv", None))
        P = cylinder_group(G.maxfreq) if N == -1 else cylinder_discrete_group(N)
        return _inversion_product(G, P, _rotation_subgroup(G, ("so2", None) if N == -1 else ("cn", N)))
    if kind == "fullcylinder":
        if N == 1:
            rot = _d1_as_c2(_rotation_subgroup(G, ("dn", 1)))
            return _inversion_product(G, direct_product(cyclic_group(2), rot[0], "FullCylindricalDiscrete[1]"), rot)
        P = full_cylinder_group(G.maxfreq) if N == -1 else full_cylinder_discrete_group(N)
        return _inversion_product(G, P, _rotation_subgroup(G, ("o2", None) if N == -1 else ("dn", N)))
    raise ValueError(f"unknown subgroup id {id!r} of {G.name}")  # pragma: no cover - ids are normalised


def _conjugated(triple: SubgroupTriple, c: GroupElement) -> SubgroupTriple:
    """``c^-1 H c``: ``incl_c(h) = c^-1 incl(h) c``, ``restr_c(g) = restr(c g c^-1)``."""
    H, incl, restr = triple
    ci = ~c
    return H, (lambda h: ci @ incl(h) @ c), (lambda g: restr(c @ g @ ci))


def _d1_as_c2(triple: SubgroupTriple) -> SubgroupTriple:
    """A two-element ``D_1`` triple re-expressed on ``C_2`` (escnn's group for these ids)."""
    D1, incl, restr = triple
    C2 = cyclic_group(2)

    def restr2(g: GroupElement) -> GroupElement | None:
        h = restr(g)
        return None if h is None else GroupElement(C2, h.value[0])

    return C2, (lambda k: incl(GroupElement(D1, (k.value, 0)))), restr2


def _rotation_subgroup(G: Group, id: tuple) -> SubgroupTriple:
    """Rotations about z (``so2``, ``cn``) and with pi-flips about x (``o2``, ``dn``)."""
    kind, N = id
    to_value = G._rotation_value

    def q_of(f: int, theta: float) -> np.ndarray:
        qz = M.matrix_to_quat(M.axis_angle_to_matrix(_AXES[2], theta))
        return M.quat_multiply(qz, _RX_PI) if f else qz

    def in_plane(g: GroupElement) -> tuple[int, float] | None:
        # a rotation in the subgroup maps z to +z (no flip) or -z (flip about x)
        if not G._is_rotation(g.value):
            return None
        R = G._rotation(g.value)
        if abs(abs(R[2, 2]) - 1) > 1e-9:
            return None
        f = int(R[2, 2] < 0)
        if f:
            R = R @ M.axis_angle_to_matrix(_AXES[0], math.pi)
        return f, math.atan2(R[1, 0], R[0, 0]) % (2 * math.pi)

    if kind in ("so2", "o2"):
        H = so2_group(G.maxfreq) if kind == "so2" else o2_group(G.maxfreq)
        if kind == "so2":
            incl = lambda h: GroupElement(G, to_value(q_of(0, h.value)))  # noqa: E731
        else:
            incl = lambda h: GroupElement(G, to_value(q_of(*h.value)))  # noqa: E731

        def restr(g: GroupElement) -> GroupElement | None:
            r = in_plane(g)
            if r is None or (kind == "so2" and r[0]):
                return None
            return GroupElement(H, r[1] if kind == "so2" else r)

        return H, incl, restr
    step = 2 * math.pi / N
    if kind == "cn":
        H = cyclic_group(N)
        incl = lambda h: GroupElement(G, to_value(q_of(0, step * h.value)))  # noqa: E731
    else:
        H = dihedral_group(N)
        incl = lambda h: GroupElement(G, to_value(q_of(h.value[0], step * h.value[1])))  # noqa: E731

    def restr_f(g: GroupElement) -> GroupElement | None:
        r = in_plane(g)
        if r is None:
            return None
        k = r[1] / step
        if abs(k - round(k)) > 1e-9 or (kind == "cn" and r[0]):
            return None
        return GroupElement(H, int(round(k)) % N if kind == "cn" else (r[0], int(round(k)) % N))

    return H, incl, restr_f


def _platonic_subgroup(G: Group, kind: str) -> SubgroupTriple:
    """The tetrahedral, octahedral or icosahedral rotation group."""
    H = _PLATONIC[kind]()
    incl = lambda h: GroupElement(G, G._rotation_value(M.matrix_to_quat(H.matrices[h.value])))  # noqa: E731

    def restr(g: GroupElement) -> GroupElement | None:
        if not G._is_rotation(g.value):
            return None
        try:
            return H.element(G._rotation(g.value), "MAT")
        except ValueError:
            return None

    return H, incl, restr


def _cone_subgroup(G: Group, N: int) -> SubgroupTriple:
    """``O(2)`` (``N=-1``) or ``D_N`` acting on the xy-plane with the mirror ``y -> -y``."""
    H = o2_group(G.maxfreq) if N == -1 else dihedral_group(N)
    step = None if N == -1 else 2 * math.pi / N

    def incl(h: GroupElement) -> GroupElement:
        f, t = h.value
        t = t if step is None else t * step
        m = np.eye(3)
        m[:2, :2] = [[math.cos(t), -math.sin(t)], [math.sin(t), math.cos(t)]]
        return GroupElement(G, G._from_param(m @ _MIRROR_Y if f else m, "MAT"))

    def restr(g: GroupElement) -> GroupElement | None:
        m = G.standard_matrix(g)
        if abs(m[2, 2] - 1) > 1e-9:
            return None
        f = int(np.linalg.det(m) < 0)
        m2 = (m @ _MIRROR_Y if f else m)[:2, :2]
        t = math.atan2(m2[1, 0], m2[0, 0]) % (2 * math.pi)
        if step is None:
            return GroupElement(H, (f, t))
        k = t / step
        return GroupElement(H, (f, int(round(k)) % N)) if abs(k - round(k)) < 1e-9 else None

    return H, incl, restr


def _inversion_product(G: Group, P: DirectProductGroup, rot: SubgroupTriple) -> SubgroupTriple:
    """``C_2 x H`` for a rotation subgroup ``H``: ``(i, h) -> (-I)^i incl(h)``."""
    Hr, ir, rr = rot
    if P.G2 != Hr:  # pragma: no cover - the named products are built from the same factors
        raise ValueError(f"{P.name} is not C2 x {Hr.name}")
    C2 = P.G1

    def incl(p: GroupElement) -> GroupElement:
        i, h = P.split_element(p)
        return GroupElement(G, (i.value, ir(h).value[1]))

    def restr(g: GroupElement) -> GroupElement | None:
        h = rr(GroupElement(G, (0, g.value[1])))
        return None if h is None else P.pair_elements(GroupElement(C2, g.value[0]), h)

    return P, incl, restr


def _fulltetra_subgroup(G: Group) -> SubgroupTriple:
    """``T_d ~ O``: the rotations of ``T`` and ``-R`` for the cube rotations ``R`` outside ``T``."""
    H, T = octahedral_group(), tetrahedral_group()

    def in_T(R: np.ndarray) -> bool:
        try:
            T.element(R, "MAT")
            return True
        except ValueError:
            return False

    def incl(h: GroupElement) -> GroupElement:
        R = H.matrices[h.value]
        return GroupElement(G, (0 if in_T(R) else 1, M.matrix_to_quat(R)))

    def restr(g: GroupElement) -> GroupElement | None:
        R = M.quat_to_matrix(g.value[1])
        try:
            h = H.element(R, "MAT")
        except ValueError:
            return None
        return h if in_T(R) == (g.value[0] == 0) else None

    return H, incl, restr


def restricted_lie_generator_axes(id: tuple) -> tuple[int, ...] | None:
    """Which rotation generators (x, y, z) span the Lie algebra of the subgroup ``id``
    before any conjugation (``()``: a finite subgroup)."""
    kind, N = id[:2]
    if kind in ("so3", "o3"):
        return (0, 1, 2)
    if kind in ("so2", "o2") or (kind in ("cyl", "cylinder", "fullcylinder") and N == -1):
        return (2,)
    return ()

