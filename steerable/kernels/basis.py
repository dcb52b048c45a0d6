"""The kernel-basis protocol: a finite family of functions ``k_b: R^d -> R^(out x in)``.

A :class:`KernelBasis` is anything that can be *sampled*: given points ``x_p`` (shape
``(N, d)``) it returns ``k_b(x_p)`` as a tensor ``(N, dim, out, in)`` -- escnn's layout, so
escnn code that samples bases reads the same numbers.  It has a length (``dim``, the number of
elements), a ``shape`` ``(out, in)``, and iterating over it yields one attribute ``dict`` per
element (its radius, frequency, irreps, ...), which is what ``filter=`` predicates look at.
Steerable bases additionally satisfy

    k_b(A(g) x) = rho_out(g) k_b(x) rho_in(g)^T          for all g in G,

but the protocol does not require it: implicit (MLP) kernels and learned, approximately
equivariant kernels implement the same three members.

Two combinators act on any basis: :class:`AdjointBasis` (``k'(x) = k(A x)`` for an orthogonal
``A``: the basis for the conjugated group ``A^T G A``) and :class:`UnionBasis` (concatenation).

Example:
    >>> import torch
    >>> from steerable.kernels import GaussianRadialProfile
    >>> profile = GaussianRadialProfile([0.0, 1.0], sigma=0.6)
    >>> profile.sample(torch.zeros(3, 1)).shape
    torch.Size([3, 2, 1, 1])
"""
from __future__ import annotations

import abc
from typing import Iterator, Sequence

import numpy as np
import torch

__all__ = ["KernelBasis", "AdjointBasis", "UnionBasis", "EmptyBasisError", "EmptyBasisException"]


class EmptyBasisError(ValueError):
    """No steerable kernel exists for the requested pair of representations and band limit."""


EmptyBasisException = EmptyBasisError  # escnn's name for the same error


class KernelBasis(torch.nn.Module, abc.ABC):
    """A finite family of ``dim`` functions ``R^d -> R^(shape[0] x shape[1])``.

    Args:
        dim: number of basis elements.
        shape: ``(out, in)``, the matrix shape of one element's value.

    Subclasses implement :meth:`sample` and :meth:`attributes_list` (one ``dict`` per element).
    """

    def __init__(self, dim: int, shape: tuple[int, int]) -> None:
        super().__init__()
        if not isinstance(dim, (int, np.integer)) or dim < 0:
            raise ValueError(f"dim must be a non-negative int, got {dim!r}")
        if len(shape) != 2 or any(not isinstance(s, (int, np.integer)) or s < 1 for s in shape):
            raise ValueError(f"shape must be two positive ints (out, in), got {shape!r}")
        self._dim = int(dim)
        self.shape: tuple[int, int] = (int(shape[0]), int(shape[1]))

    @property
    def dim(self) -> int:
        """Number of basis elements."""
        return self._dim

    def __len__(self) -> int:
        return self._dim

    @abc.abstractmethod
    def sample(self, points: torch.Tensor, out: torch.Tensor | None = None) -> torch.Tensor:
        """The elements at ``points`` ``(N, d)``: a tensor ``(N, dim, shape[0], shape[1])``,
        written into ``out`` when given (escnn's signature)."""

    def forward(self, points: torch.Tensor) -> torch.Tensor:
        return self.sample(points)

    @abc.abstractmethod
    def attributes_list(self) -> list[dict]:
        """One attribute dict per element (``len == dim``)."""

    def __iter__(self) -> Iterator[dict]:
        return iter(self.attributes_list())

    def __getitem__(self, idx: int) -> dict:
        return self.attributes_list()[idx]

    @staticmethod
    def _write(result: torch.Tensor, out: torch.Tensor | None) -> torch.Tensor:
        """Honour escnn's ``out=`` argument (shape checked, since a silent broadcast would hide bugs)."""
        if out is None:
            return result
        if out.shape != result.shape:
            raise ValueError(f"out must have shape {tuple(result.shape)}, got {tuple(out.shape)}")
        out.copy_(result)
        return out


def _check_points(points: torch.Tensor, d: int) -> None:
    if not isinstance(points, torch.Tensor) or points.dim() != 2 or points.shape[1] != d:
        got = tuple(points.shape) if isinstance(points, torch.Tensor) else type(points).__name__
        raise ValueError(f"points must be a tensor of shape (N, {d}), got {got}")


class AdjointBasis(KernelBasis):
    """``k'_b(x) = k_b(A x)`` for an orthogonal ``A`` (``(d, d)``).

    If ``basis`` is steerable for ``G`` acting by ``R(g)``, the result is steerable for the
    conjugated action ``A^T R(g) A``: ``k'(A^T R A x) = k(R A x) = rho_out k'(x) rho_in^T``.
    """

    def __init__(self, basis: KernelBasis, adjoint: np.ndarray) -> None:
        A = np.asarray(adjoint, dtype=np.float64)
        if A.ndim != 2 or A.shape[0] != A.shape[1] or not np.allclose(A @ A.T, np.eye(A.shape[0]), atol=1e-8):
            raise ValueError(f"adjoint must be an orthogonal (d, d) matrix, got shape {A.shape}")
        super().__init__(basis.dim, basis.shape)
        self.basis = basis
        self.register_buffer("adjoint", torch.from_numpy(A.copy()), persistent=False)

    def sample(self, points: torch.Tensor, out: torch.Tensor | None = None) -> torch.Tensor:
        _check_points(points, self.adjoint.shape[0])
        A = self.adjoint.to(device=points.device, dtype=points.dtype)
        return self._write(self.basis.sample(points @ A.T), out)

    def attributes_list(self) -> list[dict]:
        return self.basis.attributes_list()


class UnionBasis(KernelBasis):
    """The elements of several bases of the same ``shape``, concatenated in order."""

    def __init__(self, bases_list: Sequence[KernelBasis]) -> None:
        bases = list(bases_list)
        if not bases:
            raise ValueError("UnionBasis needs at least one basis")
        shapes = {b.shape for b in bases}
        if len(shapes) != 1:
            raise ValueError(f"all bases of a UnionBasis must have the same shape, got {sorted(shapes)}")
        super().__init__(sum(b.dim for b in bases), bases[0].shape)
        self.bases = torch.nn.ModuleList(bases)

    def sample(self, points: torch.Tensor, out: torch.Tensor | None = None) -> torch.Tensor:
        return self._write(torch.cat([b.sample(points) for b in self.bases], 1), out)

    def attributes_list(self) -> list[dict]:
        attrs = []
        for i, b in enumerate(self.bases):
            attrs += [dict(a, basis_idx=i) for a in b.attributes_list()]
        return attrs
