"""The continuous planar groups ``SO(2)`` and ``O(2)`` (see :mod:`steerable.group.planar`)."""
from __future__ import annotations

import math
from typing import Any, Hashable

import numpy as np

from .cyclic_dihedral import cyclic_group, dihedral_group
from .group import GroupElement, SubgroupTriple
from .planar_base import _GENERIC_ANGLES, _J, TWO_PI, _finite_angle, _planar_matrix, _PlanarGroup, _rot, _wrap

__all__ = ["SO2", "O2", "so2_group", "o2_group"]


class SO2(_PlanarGroup):
    """``SO(2)``: rotations by any angle; value ``theta`` in ``[0, 2 pi)``."""

    parametrisations = ("radians", "MAT")
    continuous = True
    grid_kinds = ("regular", "rand")

    def __init__(self, maximum_frequency: int = 6) -> None:
        super().__init__("SO(2)", maximum_frequency)

    def __reduce__(self):
        return so2_group, (self.maxfreq,)

    def _angle(self, value: float) -> float:
        return value

    @property
    def generators(self) -> list[GroupElement]:
        return [GroupElement(self, t) for t in _GENERIC_ANGLES]

    def grid(self, kind: str = "regular", N: int | None = None, seed: int = 0, **kw: Any) -> list[GroupElement]:
        """``'regular'``: the ``N`` rotations by ``2 pi i / N``; ``'rand'``: ``N`` seeded random ones."""
        if N is None or N < 1:
            raise ValueError(f"grid size N must be a positive integer, got {N!r}")
        if kind == "regular":
            return [GroupElement(self, TWO_PI * i / N) for i in range(N)]
        if kind == "rand":
            rng = np.random.default_rng(seed)
            return [GroupElement(self, _wrap(t)) for t in rng.uniform(0, TWO_PI, N)]
        raise ValueError(f"SO(2) grids are {self.grid_kinds}, got {kind!r}")

    def _identity_value(self) -> float:
        return 0.0

    def _combine(self, a: float, b: float) -> float:
        return _wrap(a + b)

    def _inverse(self, a: float) -> float:
        return _wrap(-a)

    def _canonical(self, a: Any) -> float:
        return _wrap(_finite_angle("SO(2)", a))

    def _equal(self, a: float, b: float) -> bool:
        d = abs(a - b) % TWO_PI
        return min(d, TWO_PI - d) < 1e-9

    def _hash_key(self, a: float) -> Hashable:
        return round(a * 1e8) % round(TWO_PI * 1e8)

    def _from_param(self, value: Any, param: str) -> float:
        if param == "MAT":
            return _planar_matrix(self.name, value, rotations_only=True)[1]
        return float(value)

    def _to_param(self, value: float, param: str) -> Any:
        if param == "radians":
            return value
        if param == "MAT":
            return _rot(value)
        raise ValueError(f"SO(2) has no parametrisation {param!r}; expected one of {self.parametrisations}")

    def _sample_value(self, rng: np.random.Generator) -> float:
        return float(rng.uniform(0, TWO_PI))

    def _irrep_ids(self) -> list[tuple]:
        return self._irrep_ids_up_to(self.maxfreq)

    def _irrep_ids_up_to(self, L: int) -> list[tuple]:
        return [(k,) for k in range(L + 1)]

    def _trivial_id(self) -> tuple:
        return (0,)

    def _irrep_info(self, id: tuple) -> dict[str, Any]:
        if len(id) != 1 or id[0] < 0:
            raise ValueError(f"SO(2) irreps are frequencies k >= 0, got {id}")
        k = id[0]
        return dict(size=1 if k == 0 else 2, type="R" if k == 0 else "C", attributes={"frequency": k})

    def _lie_algebra_dim(self) -> int:
        return 1

    def _lie_exp(self, a: int, t: float) -> GroupElement:
        return GroupElement(self, _wrap(t))

    def _irrep_lie_algebra(self, id: tuple) -> list[np.ndarray]:
        k = id[0]
        return [np.zeros((1, 1)) if k == 0 else k * _J]

    def _irreps_with_casimir(self, c: float) -> list:
        return [self.irrep(int(round(math.sqrt(max(c, 0.0)))))]

    @property
    def subgroup_self_id(self) -> int:
        return -1

    @property
    def subgroup_trivial_id(self) -> int:
        return 1

    def _subgroup(self, id: Hashable) -> SubgroupTriple:
        """``M > 0``: ``C_M``; ``M = -1``: ``SO(2)`` itself."""
        M = id
        if M == -1:
            return self, (lambda h: h), (lambda g: g)
        if not isinstance(M, (int, np.integer)) or M < 1:
            raise ValueError(f"SO(2) subgroup ids are M >= 1 (C_M) or -1 (SO(2)); got {id!r}")
        H = cyclic_group(int(M))

        def restr(g: GroupElement) -> GroupElement | None:
            k = g.value * M / TWO_PI
            return GroupElement(H, int(round(k)) % M) if abs(k - round(k)) < 1e-9 else None

        return H, (lambda h: GroupElement(self, _wrap(TWO_PI * h.value / M))), restr

    def subgroup_rotations(self, M: int) -> SubgroupTriple:
        return self.subgroup(M)

    def standard_representation(self):
        """The action on R^2 by rotation matrices: the frequency-1 irrep (a method, as in escnn)."""
        return self.irrep(1)


class O2(_PlanarGroup):
    """``O(2)``: value ``(f, theta)`` meaning ``r_theta f^f``."""

    parametrisations = ("(int, radians)", "MAT")
    continuous = True
    flips = True
    grid_kinds = ("regular", "rand")

    def __init__(self, maximum_frequency: int = 6) -> None:
        super().__init__("O(2)", maximum_frequency)

    def __reduce__(self):
        return o2_group, (self.maxfreq,)

    def _angle(self, value: tuple[int, float]) -> float:
        return value[1]

    def _flip(self, value: tuple[int, float]) -> int:
        return value[0]

    @property
    def generators(self) -> list[GroupElement]:
        return [GroupElement(self, (0, t)) for t in _GENERIC_ANGLES] + [GroupElement(self, (1, 0.0))]

    def grid(self, kind: str = "regular", N: int | None = None, seed: int = 0, **kw: Any) -> list[GroupElement]:
        """``'regular'``: ``N`` rotations by ``2 pi i / N`` and the ``N`` reflections ``r_i f``
        (``2N`` elements, the dihedral group ``D_N``); ``'rand'``: ``N`` seeded random ones."""
        if N is None or N < 1:
            raise ValueError(f"grid size N must be a positive integer, got {N!r}")
        if kind == "regular":
            return [GroupElement(self, (f, TWO_PI * i / N)) for f in range(2) for i in range(N)]
        if kind == "rand":
            rng = np.random.default_rng(seed)
            return [GroupElement(self, (int(f), _wrap(t))) for f, t in zip(rng.integers(0, 2, N), rng.uniform(0, TWO_PI, N))]
        raise ValueError(f"O(2) grids are {self.grid_kinds}, got {kind!r}")

    def _identity_value(self) -> tuple[int, float]:
        return (0, 0.0)

    def _combine(self, a: tuple, b: tuple) -> tuple[int, float]:
        return ((a[0] + b[0]) % 2, _wrap(a[1] + (-1) ** a[0] * b[1]))

    def _inverse(self, a: tuple) -> tuple[int, float]:
        return (a[0], _wrap(-a[1]) if a[0] == 0 else a[1])

    def _canonical(self, a: Any) -> tuple[int, float]:
        if int(a[0]) not in (0, 1):
            raise ValueError(f"flip component of an O(2) element must be 0 or 1, got {a[0]!r}")
        return (int(a[0]), _wrap(_finite_angle("O(2)", a[1])))

    def _equal(self, a: tuple, b: tuple) -> bool:
        d = abs(a[1] - b[1]) % TWO_PI
        return a[0] == b[0] and min(d, TWO_PI - d) < 1e-9

    def _hash_key(self, a: tuple) -> Hashable:
        return (a[0], round(a[1] * 1e8) % round(TWO_PI * 1e8))

    def _from_param(self, value: Any, param: str) -> tuple[int, float]:
        if param == "MAT":
            return _planar_matrix(self.name, value, rotations_only=False)
        return (value[0], float(value[1]))

    def _to_param(self, value: tuple, param: str) -> Any:
        if param == "(int, radians)":
            return value
        if param == "MAT":
            return self.standard_matrix(GroupElement(self, value))
        raise ValueError(f"O(2) has no parametrisation {param!r}; expected one of {self.parametrisations}")

    def _sample_value(self, rng: np.random.Generator) -> tuple[int, float]:
        return (int(rng.integers(2)), float(rng.uniform(0, TWO_PI)))

    def _irrep_ids(self) -> list[tuple]:
        return self._irrep_ids_up_to(self.maxfreq)

    def _irrep_ids_up_to(self, L: int) -> list[tuple]:
        return [(0, 0), (1, 0)] + [(1, k) for k in range(1, L + 1)]

    def _trivial_id(self) -> tuple:
        return (0, 0)

    def _irrep_info(self, id: tuple) -> dict[str, Any]:
        if len(id) != 2 or id[1] < 0 or id[0] not in (0, 1) or (id[1] > 0 and id[0] != 1):
            raise ValueError(f"O(2) irreps are (0, 0), (1, 0) and (1, k) for k >= 1; got {id}")
        j, k = id
        return dict(size=1 if k == 0 else 2, type="R", attributes={"frequency": k, "flip_frequency": j})

    def _lie_algebra_dim(self) -> int:
        return 1

    def _lie_exp(self, a: int, t: float) -> GroupElement:
        return GroupElement(self, (0, _wrap(t)))

    def _irrep_lie_algebra(self, id: tuple) -> list[np.ndarray]:
        k = id[1]
        return [np.zeros((1, 1)) if k == 0 else k * _J]

    def _irreps_with_casimir(self, c: float) -> list:
        k = int(round(math.sqrt(max(c, 0.0))))
        return [self.irrep(0, 0), self.irrep(1, 0)] if k == 0 else [self.irrep(1, k)]

    @property
    def subgroup_self_id(self) -> tuple:
        return (0.0, -1)

    @property
    def subgroup_trivial_id(self) -> tuple:
        return (None, 1)

    def _subgroup(self, id: Hashable) -> SubgroupTriple:
        """``(axis, M)``: ``axis=None`` gives rotations (``C_M``, or ``SO(2)`` for ``M=-1``);
        a float ``axis`` gives ``D_M`` (``O(2)`` for ``M=-1``) whose reflections include the
        mirror across the line at angle ``axis``, i.e. the element ``(1, 2 axis)``."""
        if not (isinstance(id, tuple) and len(id) == 2):
            raise ValueError(f"O(2) subgroup ids are (axis, M): axis None or an angle, M >= 1 or -1; got {id!r}")
        axis, M = id
        if not isinstance(M, (int, np.integer)) or (M < 1 and M != -1):
            raise ValueError(f"O(2) subgroup order M must be >= 1 or -1; got {id!r}")
        if axis is None:
            if M == -1:
                H = so2_group(self.maxfreq)
                return H, (lambda h: GroupElement(self, (0, h.value))), (lambda g: GroupElement(H, g.value[1]) if g.value[0] == 0 else None)
            Hc = cyclic_group(int(M))

            def restr_c(g: GroupElement) -> GroupElement | None:
                k = g.value[1] * M / TWO_PI
                return GroupElement(Hc, int(round(k)) % M) if g.value[0] == 0 and abs(k - round(k)) < 1e-9 else None

            return Hc, (lambda h: GroupElement(self, (0, _wrap(TWO_PI * h.value / M)))), restr_c
        shift = 2.0 * float(axis)
        if M == -1:
            if shift == 0.0:
                return self, (lambda h: h), (lambda g: g)
            # O(2) with a rotated flip: conjugation-free reparametrisation (f, t) -> (f, t + f shift)
            Ho = O2(self.maxfreq)
            return (
                Ho,
                lambda h: GroupElement(self, (h.value[0], _wrap(h.value[1] + h.value[0] * shift))),
                lambda g: GroupElement(Ho, (g.value[0], _wrap(g.value[1] - g.value[0] * shift))),
            )
        Hd = dihedral_group(int(M))

        def incl_d(h: GroupElement) -> GroupElement:
            f, k = h.value
            return GroupElement(self, (f, _wrap(TWO_PI * k / M + f * shift)))

        def restr_d(g: GroupElement) -> GroupElement | None:
            f, t = g.value
            k = _wrap(t - f * shift) * M / TWO_PI
            return GroupElement(Hd, (f, int(round(k)) % M)) if abs(k - round(k)) < 1e-9 else None

        return Hd, incl_d, restr_d

    def subgroup_rotations(self, M: int = -1) -> SubgroupTriple:
        return self.subgroup((None, M))

    def subgroup_flips(self, axis: float = 0.0) -> SubgroupTriple:
        return self.subgroup((axis, 1))

    def standard_representation(self):
        """The action on R^2 by orthogonal matrices: the irrep ``(1, 1)`` (a method, as in escnn)."""
        return self.irrep(1, 1)

    def subgroup_dihedral(self, M: int, axis: float = 0.0) -> SubgroupTriple:
        return self.subgroup((axis, M))


def so2_group(maximum_frequency: int = 3) -> SO2:
    """``SO(2)``; ``maximum_frequency`` (escnn's default 3) bounds the irreps listed by ``irreps()``
    (any frequency can be built)."""
    return SO2(maximum_frequency)


def o2_group(maximum_frequency: int = 3) -> O2:
    """``O(2)``; ``maximum_frequency`` (escnn's default 3) bounds the irreps listed by ``irreps()``."""
    return O2(maximum_frequency)
