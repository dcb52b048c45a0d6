"""Steerable kernel bases by the Wigner-Eckart construction, for any subgroup of O(2) or O(3).

A ``G``-steerable kernel ``k: R^d -> R^(d_out x d_in)`` satisfies

    k(A(g) x) = rho_out(g) k(x) rho_in(g)^T        for all g in G, x in R^d.

Expanding ``k`` in the ``O(d)`` harmonics ``Y_J`` of :mod:`.harmonics`, ``k(x) = sum_J W_J Y_J(x)``,
the constraint becomes ``W_J Res psi_J(g) = (rho_out (x) rho_in)(g) W_J``: each ``W_J`` is an
intertwiner.  With ``Res_G psi_J = Q_J ((+)_a phi_a) Q_J^T`` (restriction) and
``psi_o (x) psi_i = C ((+)_b phi_b) C^T`` (Clebsch-Gordan), these intertwiners are exactly

    W = C_b E Q_(J,a)^T      for phi_a = phi_b and E in a basis of End(phi_a),

so the basis is complete by Schur's lemma, with no per-group mathematics: subgroups
``H < O(d)`` just restrict the harmonics.  For general representations
``rho = Q ((+) psi) Q^T`` the irreps-pair bases are conjugated by the ``Q``'s.

Example:
    >>> from steerable.gspaces import rot2dOnR2
    >>> from steerable.kernels import KernelBasis
    >>> gs = rot2dOnR2(4)
    >>> basis = KernelBasis(gs, gs.regular_repr, gs.regular_repr, kernel_size=3)
    >>> basis.sample_grid().shape[1:]
    torch.Size([4, 4, 3, 3])
"""
from __future__ import annotations

from typing import Any, Callable, Sequence

import numpy as np
import torch

from ..group import IrreducibleRepresentation, Representation, clebsch_gordan
from ..group.decompose import single_threaded_blas
from ..gspaces import GSpace
from .harmonics import RingSpec, grid_points, harmonic_types, sample_harmonics

__all__ = ["KernelBasis", "irreps_pair_intertwiners", "EmptyBasisError", "EmptyBasisException"]


class EmptyBasisError(ValueError):
    """No steerable kernel exists for the requested pair of representations and band limit."""


EmptyBasisException = EmptyBasisError  # escnn's name for the same error


def irreps_pair_intertwiners(gspace: GSpace, psi_o: IrreducibleRepresentation, psi_i: IrreducibleRepresentation,
                             J: tuple) -> np.ndarray:
    """All ``W`` (shape ``(n, d_o, d_i, d_J)``) with ``W Res psi_J(g) = (psi_o (x) psi_i)(g) W``."""
    G = gspace.fibergroup
    key = ("we", gspace._key, psi_o.id, psi_i.id, J)  # exact gspace identity, not its (rounded) name
    if key not in G._cache:
        res = gspace.harmonic_repr(J)
        blocks = []
        p = 0
        cg = clebsch_gordan(psi_o, psi_i)
        for phi_a in res.irrep_objects:
            Qa = res.change_of_basis[:, p : p + phi_a.size]
            p += phi_a.size
            for phi_b, Cb in cg:
                if phi_b.id != phi_a.id:
                    continue
                for E in phi_a.endomorphism_basis():
                    blocks.append((Cb @ E @ Qa.T).reshape(psi_o.size, psi_i.size, -1))
        d_J = res.size
        G._cache[key] = np.stack(blocks) if blocks else np.zeros((0, psi_o.size, psi_i.size, d_J))
    return G._cache[key]


class KernelBasis(torch.nn.Module):
    """Basis of the ``G``-steerable kernels ``R^d -> Hom(rho_in, rho_out)`` of a band-limited family.

    Args:
        gspace: the group acting on ``R^d``.
        in_repr, out_repr: representations of ``gspace.fibergroup``.
        kernel_size: size of the sampling grid (``int``); the basis is normalised on it and
            numerically vanishing elements are dropped.
        rings, sigma, maximum_frequency, frequencies_cutoff: the radial profile and band limit
            (see :mod:`steerable.kernels.harmonics`).
        filter: optional predicate on an element's ``attributes`` dict to keep a sub-basis.

    Attributes:
        attributes: one dict per basis element with keys ``radius``, ``sigma``, ``frequency``
            (of the ``O(d)`` harmonic), ``harmonic`` (its irrep id), ``in_irrep``, ``out_irrep``,
            ``in_irrep_index``, ``out_irrep_index``.
    """

    def __init__(
        self,
        gspace: GSpace,
        in_repr: Representation,
        out_repr: Representation,
        kernel_size: int | Sequence[int] = 5,
        rings: Sequence[float] | None = None,
        sigma: float | Sequence[float] | None = None,
        maximum_frequency: int | None = None,
        frequencies_cutoff: float | Callable[[float], int] | None = None,
        filter: Callable[[dict], bool] | None = None,
    ) -> None:
        super().__init__()
        G = gspace.fibergroup
        for name, r in (("in_repr", in_repr), ("out_repr", out_repr)):
            if not isinstance(r, Representation):
                raise TypeError(f"{name} must be a Representation, got {type(r).__name__}")
            if r.group != G:
                raise ValueError(f"{name} is a representation of {r.group.name}, but the gspace's group is {G.name}")
        self.gspace, self.in_repr, self.out_repr = gspace, in_repr, out_repr
        self.kernel_size = int(kernel_size) if isinstance(kernel_size, np.integer) else kernel_size
        self.spec = RingSpec.default(kernel_size, gspace.dimensionality, rings, sigma, maximum_frequency, frequencies_cutoff)
        # numpy only (single-threaded BLAS): torch's intra-op thread pool costs tens of ms on
        # these small tensors on a loaded machine, more than the whole construction
        with single_threaded_blas():
            W, attrs = self._coefficients(filter)
        if W.shape[0] == 0:
            raise EmptyBasisError(
                f"no {G.name}-steerable kernel {in_repr.name} -> {out_repr.name} exists on this kernel "
                f"(size {kernel_size}, rings {self.spec.radii}, frequencies {self.spec.max_frequencies}); "
                "use a larger (odd) kernel, more rings or a higher frequency cutoff"
            )
        self.register_buffer("coefficients", torch.from_numpy(W), persistent=False)
        self.register_buffer("scale", torch.from_numpy(1.0 / self._grid_norms), persistent=False)
        self.attributes = attrs
        del self._grid_norms

    def _coefficients(self, filter: Callable[[dict], bool] | None) -> tuple[np.ndarray, list[dict]]:
        """``W[b, o, i, m]`` (``m`` runs over all harmonic components) and the attributes, for
        the elements that do not vanish on the sampling grid (their grid norms are left in
        ``self._grid_norms``, to normalise them there)."""
        types = harmonic_types(self.spec)
        offsets = np.cumsum([0] + [t[4] for t in types])
        M = int(offsets[-1])
        out_irreps, in_irreps = self.out_repr.irrep_objects, self.in_repr.irrep_objects
        o_off = np.cumsum([0] + [p.size for p in out_irreps])
        i_off = np.cumsum([0] + [p.size for p in in_irreps])
        blocks, attrs = [], []
        for a, psi_o in enumerate(out_irreps):
            for b, psi_i in enumerate(in_irreps):
                for t, (ring, r, sig, J, dJ) in enumerate(types):
                    Ws = irreps_pair_intertwiners(self.gspace, psi_o, psi_i, J)
                    for W in Ws:
                        at = dict(radius=r, sigma=sig, frequency=J[-1], harmonic=J, in_irrep=psi_i.id,
                                  out_irrep=psi_o.id, in_irrep_index=b, out_irrep_index=a)
                        if filter is not None and not filter(at):
                            continue
                        blocks.append((a, b, t, W))
                        attrs.append(at)
        # grid norms from the irreps blocks: the changes of basis are orthogonal, so the norm of
        # Q_out W Q_in^T H on the grid is that of W H, with the Gram matrix of the harmonics
        grid = torch.from_numpy(grid_points(self.kernel_size, self.gspace.dimensionality))
        Hg = sample_harmonics(self.spec, grid).numpy()
        gram = Hg @ Hg.T
        norms = np.array([
            np.sqrt(max(np.einsum("oij,jk,oik->", W, gram[offsets[t] : offsets[t + 1], offsets[t] : offsets[t + 1]], W), 0.0))
            for (a, b, t, W) in blocks
        ])
        # drop elements that vanish on the grid (aliasing)
        keep = norms > 1e-6 * norms.max() if len(blocks) else np.zeros(0, dtype=bool)
        blocks = [bl for bl, k in zip(blocks, keep) if k]
        attrs = [at for at, k in zip(attrs, keep) if k]
        self._grid_norms = norms[keep]
        Wirr = np.zeros((len(blocks), self.out_repr.size, self.in_repr.size, M))
        for n, (a, b, t, W) in enumerate(blocks):
            Wirr[n, o_off[a] : o_off[a + 1], i_off[b] : i_off[b + 1], offsets[t] : offsets[t + 1]] = W
        Wfull = np.einsum("pa,naim,qi->npqm", self.out_repr.change_of_basis, Wirr, self.in_repr.change_of_basis, optimize=True)
        return np.ascontiguousarray(Wfull), attrs

    @property
    def dim(self) -> int:
        """Number of basis elements."""
        return int(self.coefficients.shape[0])

    def __len__(self) -> int:
        return self.dim

    def sample(self, points: torch.Tensor) -> torch.Tensor:
        """The basis at ``points`` ``(P, d)``: a tensor ``(dim, d_out, d_in, P)``.

        Runs in the dtype/device of ``points``; differentiable in ``points``.
        """
        H = sample_harmonics(self.spec, points)  # (M, P)
        W = self.coefficients.to(device=points.device, dtype=points.dtype)
        scale = self.scale.to(device=points.device, dtype=points.dtype)
        return torch.einsum("boim,mp->boip", W, H) * scale[:, None, None, None]

    forward = sample

    def sample_grid(self, dtype: torch.dtype = torch.float64, device: Any = None) -> torch.Tensor:
        """The basis on the ``kernel_size`` grid: ``(dim, d_out, d_in, *kernel_shape)``."""
        d = self.gspace.dimensionality
        pts = torch.as_tensor(grid_points(self.kernel_size, d), dtype=dtype, device=device)
        shape = [self.kernel_size] * d if isinstance(self.kernel_size, int) else list(self.kernel_size)
        return self.sample(pts).reshape(self.dim, self.out_repr.size, self.in_repr.size, *shape)

    def extra_repr(self) -> str:
        return (f"{self.gspace.name}: {self.in_repr.name} -> {self.out_repr.name}, dim={self.dim}, "
                f"rings={self.spec.radii}, max_frequencies={self.spec.max_frequencies}")
