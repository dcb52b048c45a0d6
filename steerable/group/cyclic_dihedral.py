"""The finite planar groups: cyclic ``C_N`` and dihedral ``D_N`` (see :mod:`steerable.group.planar`)."""
from __future__ import annotations

from typing import Any, Hashable

import numpy as np

from .group import GroupElement, SubgroupTriple
from .planar_base import TWO_PI, _planar_matrix, _PlanarGroup, _rot

__all__ = ["CyclicGroup", "DihedralGroup", "cyclic_group", "dihedral_group", "trivial_group"]


class CyclicGroup(_PlanarGroup):
    """``C_N``: rotations by multiples of ``2 pi / N``; element value ``k`` in ``[0, N)``."""

    parametrisations = ("int", "radians", "MAT")

    def __init__(self, N: int) -> None:
        if not isinstance(N, (int, np.integer)) or N < 1:
            raise ValueError(f"C_N needs an integer N >= 1, got {N!r}")
        super().__init__(f"C{N}")
        self.N = int(N)

    def __reduce__(self):
        return cyclic_group, (self.N,)

    def _angle(self, value: int) -> float:
        return TWO_PI * value / self.N

    @property
    def elements(self) -> list[GroupElement]:
        return [GroupElement(self, k) for k in range(self.N)]

    @property
    def generators(self) -> list[GroupElement]:
        return [GroupElement(self, 1 % self.N)]

    def _identity_value(self) -> int:
        return 0

    def _combine(self, a: int, b: int) -> int:
        return (a + b) % self.N

    def _inverse(self, a: int) -> int:
        return (-a) % self.N

    def _canonical(self, a: Any) -> int:
        return int(a) % self.N

    def _equal(self, a: int, b: int) -> bool:
        return a == b

    def _hash_key(self, a: int) -> Hashable:
        return a

    def _from_param(self, value: Any, param: str) -> int:
        if param == "int":
            if not float(value).is_integer():
                raise ValueError(f"C{self.N} element index must be an integer, got {value!r}")
            return int(value)
        if param == "MAT":
            value = _planar_matrix(self.name, value, rotations_only=True)[1]
        k = float(value) * self.N / TWO_PI
        if abs(k - round(k)) > 1e-6:
            raise ValueError(f"angle {value} is not a multiple of 2pi/{self.N}, so not an element of C{self.N}")
        return int(round(k))

    def _to_param(self, value: int, param: str) -> Any:
        if param == "int":
            return value
        if param == "radians":
            return self._angle(value)
        if param == "MAT":
            return _rot(self._angle(value))
        raise ValueError(f"C{self.N} has no parametrisation {param!r}; expected one of {self.parametrisations}")

    def _sample_value(self, rng: np.random.Generator) -> int:
        return int(rng.integers(self.N))

    def _irrep_ids(self) -> list[tuple]:
        return [(k,) for k in range(self.N // 2 + 1)]

    def _trivial_id(self) -> tuple:
        return (0,)

    def _irrep_info(self, id: tuple) -> dict[str, Any]:
        if len(id) != 1 or not 0 <= id[0] <= self.N // 2:
            raise ValueError(f"C{self.N} has irreps k = 0..{self.N // 2}, got {id}")
        k = id[0]
        size = 1 if (k == 0 or 2 * k == self.N) else 2
        return dict(size=size, type="R" if size == 1 else "C", attributes={"frequency": k})

    @property
    def subgroup_self_id(self) -> int:
        return self.N

    @property
    def subgroup_trivial_id(self) -> int:
        return 1

    def _subgroup(self, id: Hashable) -> SubgroupTriple:
        M = id
        if not isinstance(M, (int, np.integer)) or M < 1 or self.N % M:
            raise ValueError(f"subgroups of C{self.N} are C_M for M dividing {self.N}; got id {id!r}")
        H = cyclic_group(int(M))
        s = self.N // M

        def incl(h: GroupElement) -> GroupElement:
            return GroupElement(self, (h.value * s) % self.N)

        def restr(g: GroupElement) -> GroupElement | None:
            return GroupElement(H, g.value // s) if g.value % s == 0 else None

        return H, incl, restr

    def subgroup_rotations(self, M: int) -> SubgroupTriple:
        return self.subgroup(M)


class DihedralGroup(_PlanarGroup):
    """``D_N``: ``N`` rotations and ``N`` reflections; value ``(f, k)`` means ``r^k f^f``.

    ``D_1`` is the flip group ``{e, f}``.
    """

    parametrisations = ("(int, int)", "(int, radians)", "MAT")
    flips = True

    def __init__(self, N: int) -> None:
        if not isinstance(N, (int, np.integer)) or N < 1:
            raise ValueError(f"D_N needs an integer N >= 1, got {N!r}")
        super().__init__(f"D{N}")
        self.N = int(N)

    def __reduce__(self):
        return dihedral_group, (self.N,)

    def _angle(self, value: tuple[int, int]) -> float:
        return TWO_PI * value[1] / self.N

    def _flip(self, value: tuple[int, int]) -> int:
        return value[0]

    @property
    def elements(self) -> list[GroupElement]:
        return [GroupElement(self, (f, k)) for f in range(2) for k in range(self.N)]

    @property
    def generators(self) -> list[GroupElement]:
        return [GroupElement(self, (0, 1 % self.N)), GroupElement(self, (1, 0))]

    def _identity_value(self) -> tuple[int, int]:
        return (0, 0)

    def _combine(self, a: tuple[int, int], b: tuple[int, int]) -> tuple[int, int]:
        return ((a[0] + b[0]) % 2, (a[1] + (-1) ** a[0] * b[1]) % self.N)

    def _inverse(self, a: tuple[int, int]) -> tuple[int, int]:
        return (a[0], (-a[1]) % self.N if a[0] == 0 else a[1])

    def _canonical(self, a: Any) -> tuple[int, int]:
        return (int(a[0]) % 2, int(a[1]) % self.N)

    def _equal(self, a: tuple, b: tuple) -> bool:
        return a == b

    def _hash_key(self, a: tuple) -> Hashable:
        return a

    def _from_param(self, value: Any, param: str) -> tuple[int, int]:
        if param == "MAT":
            value = _planar_matrix(self.name, value, rotations_only=False)
            param = "(int, radians)"
        f, r = value
        if int(f) not in (0, 1):
            raise ValueError(f"flip component of a D{self.N} element must be 0 or 1, got {f!r}")
        if param == "(int, int)" and not float(r).is_integer():
            raise ValueError(f"rotation index of a D{self.N} element must be an integer, got {r!r}")
        if param == "(int, radians)":
            k = float(r) * self.N / TWO_PI
            if abs(k - round(k)) > 1e-6:
                raise ValueError(f"angle {r} is not a multiple of 2pi/{self.N}")
            r = round(k)
        return (int(f), int(r))

    def _to_param(self, value: tuple[int, int], param: str) -> Any:
        if param == "(int, int)":
            return value
        if param == "(int, radians)":
            return (value[0], self._angle(value))
        if param == "MAT":
            return self.standard_matrix(GroupElement(self, value))
        raise ValueError(f"D{self.N} has no parametrisation {param!r}; expected one of {self.parametrisations}")

    def _sample_value(self, rng: np.random.Generator) -> tuple[int, int]:
        return (int(rng.integers(2)), int(rng.integers(self.N)))

    def _irrep_ids(self) -> list[tuple]:
        ids = [(0, 0), (1, 0)]
        ids += [(1, k) for k in range(1, (self.N + 1) // 2)]
        if self.N % 2 == 0 and self.N > 0:
            ids += [(0, self.N // 2), (1, self.N // 2)]
        return ids

    def _trivial_id(self) -> tuple:
        return (0, 0)

    def _irrep_info(self, id: tuple) -> dict[str, Any]:
        if id not in self._irrep_ids():
            raise ValueError(f"D{self.N} has irreps {self._irrep_ids()}, got {id}")
        j, k = id
        size = 1 if (k == 0 or 2 * k == self.N) else 2
        return dict(size=size, type="R", attributes={"frequency": k, "flip_frequency": j})

    @property
    def subgroup_self_id(self) -> tuple:
        return (0, self.N)

    @property
    def subgroup_trivial_id(self) -> tuple:
        return (None, 1)

    def _subgroup(self, id: Hashable) -> SubgroupTriple:
        """``(axis, M)``: ``axis=None`` gives ``C_M``; an integer ``axis`` gives ``D_M`` whose
        reflection is ``r^axis f`` (mirror line at angle ``axis * pi / N``)."""
        if not (isinstance(id, tuple) and len(id) == 2):
            raise ValueError(f"D{self.N} subgroup ids are (axis, M) with axis None or an int; got {id!r}")
        axis, M = id
        if not isinstance(M, (int, np.integer)) or M < 1 or self.N % M:
            raise ValueError(f"subgroup order M must divide {self.N}; got id {id!r}")
        s = self.N // M
        if axis is None:
            H = cyclic_group(int(M))
            incl = lambda h: GroupElement(self, (0, (h.value * s) % self.N))  # noqa: E731
            restr = lambda g: GroupElement(H, g.value[1] // s) if g.value[0] == 0 and g.value[1] % s == 0 else None  # noqa: E731
            return H, incl, restr
        if not isinstance(axis, (int, np.integer)):
            raise ValueError(f"axis of a D{self.N} subgroup must be None or an int in [0, {s}); got {axis!r}")
        a = int(axis) % self.N
        Hd = dihedral_group(int(M))

        def incl_d(h: GroupElement) -> GroupElement:
            f, k = h.value
            return GroupElement(self, (f, (k * s + f * a) % self.N))

        def restr_d(g: GroupElement) -> GroupElement | None:
            f, k = g.value
            k = (k - f * a) % self.N
            return GroupElement(Hd, (f, k // s)) if k % s == 0 else None

        return Hd, incl_d, restr_d

    def subgroup_rotations(self, M: int) -> SubgroupTriple:
        return self.subgroup((None, M))

    def subgroup_flips(self, axis: int = 0) -> SubgroupTriple:
        return self.subgroup((axis, 1))

    def subgroup_dihedral(self, M: int, axis: int = 0) -> SubgroupTriple:
        return self.subgroup((axis, M))


def cyclic_group(N: int) -> CyclicGroup:
    """The cyclic group ``C_N`` of ``N`` planar rotations."""
    return CyclicGroup(N)


def dihedral_group(N: int) -> DihedralGroup:
    """The dihedral group ``D_N`` (``N`` rotations and ``N`` reflections); ``D_1`` is the flip group."""
    return DihedralGroup(N)


def trivial_group() -> CyclicGroup:
    """The trivial group ``C_1``."""
    return cyclic_group(1)
