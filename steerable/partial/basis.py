"""The relaxed Wigner-Eckart basis: kernels whose equivariance is weighted by a likelihood ``lambda``.

A kernel ``k(x) = sum_J W_J Y_J(x)`` over the ``O(d)`` harmonics ``Y_J`` (which transform under
``G`` as ``Res psi_J = Q_J ((+)_a phi_a) Q_J^T``) is equivariant iff every ``W_J`` is fixed by
``T(h) = rho_out(h) (x) rho_in(h) (x) Res psi_J(h)``.  The ``lambda``-weighted group average

    k_lambda(x) = int_G lambda(h) rho_out(h) k(h^-1 x) rho_in(h)^T dh

acts on ``vec W_J`` as ``int lambda(h) T(h) dh``.  Decomposing ``T`` into irreps -- first
``psi_o (x) psi_i = C_b ((+) phi_b) C_b^T`` and ``Res psi_J`` into ``phi_a``, then
``phi_b (x) phi_a = C_c ((+) phi_c) C_c^T`` -- gives one block of ``d_c`` basis elements

    W_{c,k} = C_b M_k Q_a^T,        vec M_k = C_c[:, k],

per copy of ``phi_c``, on which the average acts as the matrix ``hat lambda(phi_c)``:

    k_lambda = sum_blocks sum_k (hat lambda(phi_c) w_block)_k  W_{c,k} Y_J.

Uniform ``lambda`` keeps only the blocks with ``phi_c`` trivial, which span exactly the
equivariant kernels (Schur: ``Hom_G(phi_a, phi_b)`` is the trivial part of ``phi_b (x) phi_a``);
``lambda = delta_e`` keeps every block unchanged: the unconstrained kernel of band ``L_out``
(only ``phi_c`` of frequency ``<= L_out`` are built).

Example:
    >>> from steerable.gspaces import rot2dOnR2
    >>> from steerable.partial.basis import RelaxedConvBasis
    >>> gs = rot2dOnR2(-1, maximum_frequency=2)
    >>> basis = RelaxedConvBasis(gs, 3, output_band_limit=2)
    >>> b = basis.pair(gs.irrep(1), gs.irrep(1))
    >>> b.dim, b.block_irreps[:2]
    (14, [(0,), (0,)])
"""
from __future__ import annotations

from typing import Any, Callable, Sequence

import numpy as np
import torch

from ..group import Representation, clebsch_gordan
from ..gspaces import GSpace
from ..kernels import ConvBasis, EmptyBasisError, KernelBasis, RingSpec, grid_points, harmonic_types, sample_harmonics
from .likelihood import band_limited_irreps

__all__ = ["RelaxedKernelBasis", "RelaxedConvBasis", "relaxed_coefficients"]


def relaxed_coefficients(gspace: GSpace, in_repr: Representation, out_repr: Representation, spec: RingSpec,
                         output_irreps: Sequence[tuple]) -> tuple[np.ndarray, list[dict]]:
    """``(W, blocks)``: ``W[n, o, i, m]`` over the harmonic components ``m`` of ``spec``, in
    blocks of ``d_c`` consecutive elements, and one dict per block (``irrep``: ``phi_c``'s id,
    ``start``, ``size``, ``radius``, ``harmonic``, ``in_irrep``, ``out_irrep``)."""
    allowed = set(output_irreps)
    types = harmonic_types(spec)
    offsets = np.cumsum([0] + [t[4] for t in types])
    out_irreps, in_irreps = out_repr.irrep_objects, in_repr.irrep_objects
    o_off = np.cumsum([0] + [p.size for p in out_irreps])
    i_off = np.cumsum([0] + [p.size for p in in_irreps])
    elements: list[tuple[int, int, int, np.ndarray]] = []
    blocks: list[dict] = []
    for a, psi_o in enumerate(out_irreps):
        for b, psi_i in enumerate(in_irreps):
            cg_oi = clebsch_gordan(psi_o, psi_i)
            for t, (ring, r, _sig, J, _dJ) in enumerate(types):
                res = gspace.harmonic_repr(J)
                q = 0
                for phi_a in res.irrep_objects:
                    Qa = res.change_of_basis[:, q : q + phi_a.size]
                    q += phi_a.size
                    for phi_b, Cb in cg_oi:
                        for phi_c, Cc in clebsch_gordan(phi_b, phi_a):
                            if phi_c.id not in allowed:
                                continue
                            blocks.append(dict(irrep=phi_c.id, start=len(elements), size=phi_c.size, radius=r, ring=ring,
                                               harmonic=J, in_irrep=psi_i.id, out_irrep=psi_o.id))
                            for k in range(phi_c.size):
                                M = Cc[:, k].reshape(phi_b.size, phi_a.size)
                                elements.append((a, b, t, (Cb @ M @ Qa.T).reshape(psi_o.size, psi_i.size, -1)))
    Wirr = np.zeros((len(elements), out_repr.size, in_repr.size, int(offsets[-1])))
    for n, (a, b, t, W) in enumerate(elements):
        Wirr[n, o_off[a] : o_off[a + 1], i_off[b] : i_off[b + 1], offsets[t] : offsets[t + 1]] = W
    Wfull = np.einsum("pa,naim,qi->npqm", out_repr.change_of_basis, Wirr, in_repr.change_of_basis, optimize=True)
    return np.ascontiguousarray(Wfull), blocks


class RelaxedKernelBasis(KernelBasis):
    """The blocks of :func:`relaxed_coefficients` for one pair ``rho_in -> rho_out``, normalised on the grid.

    Each block is scaled by one factor (its grid norm per element), so ``hat lambda(phi_c)``
    mixes elements of equal scale and the average above is exact; blocks that vanish on the
    grid (aliasing) are dropped whole.

    Attributes:
        block_irreps: ``phi_c``'s id per block; ``block_sizes``: ``d_c`` per block (``dim`` is their sum).
    """

    def __init__(self, gspace: GSpace, in_repr: Representation, out_repr: Representation, kernel_size: int,
                 spec: RingSpec, output_irreps: Sequence[tuple]) -> None:
        W, blocks = relaxed_coefficients(gspace, in_repr, out_repr, spec, output_irreps)
        d = gspace.dimensionality
        Hg = sample_harmonics(spec, torch.from_numpy(grid_points(kernel_size, d))).numpy()
        sq = np.einsum("noim,mp->noip", W, Hg) if W.shape[0] else np.zeros((0,))
        keep, scale = [], []
        if W.shape[0]:
            sq = (sq ** 2).sum(axis=(1, 2, 3))
            norms = np.array([np.sqrt(sq[bl["start"] : bl["start"] + bl["size"]].mean()) for bl in blocks])
            ok = norms > 1e-6 * norms.max()
            for bl, n, good in zip(blocks, norms, ok):
                if good:
                    keep.extend(range(bl["start"], bl["start"] + bl["size"]))
                    scale.extend([1.0 / n] * bl["size"])
            blocks = [bl for bl, good in zip(blocks, ok) if good]
        if not keep:
            raise EmptyBasisError(f"no kernel {in_repr.name} -> {out_repr.name} of band <= the output band limit "
                                  f"exists on this kernel (size {kernel_size}, rings {spec.radii})")
        super().__init__(len(keep), (out_repr.size, in_repr.size))
        self.gspace, self.in_repr, self.out_repr, self.spec, self.kernel_size = gspace, in_repr, out_repr, spec, kernel_size
        self.register_buffer("coefficients", torch.from_numpy(W[keep]), persistent=False)
        self.register_buffer("scale", torch.tensor(scale, dtype=torch.float64), persistent=False)
        self.block_irreps = [bl["irrep"] for bl in blocks]
        self.block_sizes = [bl["size"] for bl in blocks]
        self._attrs = []
        for bi, bl in enumerate(blocks):
            for k in range(bl["size"]):
                self._attrs.append(dict({key: v for key, v in bl.items() if key != "start"}, block=bi, row=k))

    def sample(self, points: torch.Tensor, out: torch.Tensor | None = None) -> torch.Tensor:
        """The elements at ``points`` ``(N, d)``: ``(N, dim, d_out, d_in)`` in the points' dtype."""
        H = sample_harmonics(self.spec, points)
        W = self.coefficients.to(device=points.device, dtype=points.dtype)
        s = self.scale.to(device=points.device, dtype=points.dtype)
        return self._write(torch.einsum("boim,mp->pboi", W, H) * s[:, None, None], out)

    def attributes_list(self) -> list[dict]:
        return self._attrs


class RelaxedConvBasis(ConvBasis):
    """A :class:`~steerable.kernels.ConvBasis` of :class:`RelaxedKernelBasis` pairs.

    Args:
        gspace, kernel_size: as :class:`~steerable.kernels.ConvBasis`.
        output_band_limit: the highest frequency of the irreps ``phi_c`` kept.
        rings, sigma, maximum_frequency, frequencies_cutoff: the radial profile and band limit of
            the harmonics (:meth:`~steerable.kernels.RingSpec.default`).
    """

    def __init__(self, gspace: GSpace, kernel_size: int, output_band_limit: int = 2, rings: Sequence[float] | None = None,
                 sigma: float | Sequence[float] | None = None, maximum_frequency: int | None = None,
                 frequencies_cutoff: float | Callable[[float], float] | None = None) -> None:
        super().__init__(gspace, kernel_size)
        self.output_irreps = [psi.id for psi in band_limited_irreps(gspace.fibergroup, output_band_limit, "output_band_limit")]
        self.output_band_limit = int(output_band_limit)
        self.spec = RingSpec.default(kernel_size, gspace.dimensionality, rings, sigma, maximum_frequency, frequencies_cutoff)

    def build_pair(self, in_repr: Representation, out_repr: Representation) -> RelaxedKernelBasis:
        return RelaxedKernelBasis(self.gspace, in_repr, out_repr, self.kernel_size, self.spec, self.output_irreps)

    def __repr__(self) -> str:
        return (f"RelaxedConvBasis({self.gspace.name}, kernel_size={self.kernel_size}, "
                f"output_band_limit={self.output_band_limit}, rings={self.spec.radii})")


def mixing_index(pairs: Sequence[dict[str, Any]], bases: Sequence[RelaxedKernelBasis], irreps: Sequence[tuple],
                 sizes: Sequence[int], dimension: int) -> tuple[torch.Tensor, torch.Tensor]:
    """``(coef, src)``, both ``(dimension, t_max)``: ``w_eff[i] = sum_t hat[coef[i, t]] w[src[i, t]]``.

    ``hat`` is the flattened ``hat lambda`` of ``irreps`` (sizes ``sizes``) followed by one zero
    (the padding index).  ``pairs`` are a basis expansion's pairs (``start``, ``n_out``, ``n_in``,
    ``dim``), ``bases`` their relaxed bases, in the same order.
    """
    offs = dict(zip(irreps, np.cumsum([0] + [d * d for d in sizes])[:-1]))
    pad = int(sum(d * d for d in sizes))
    t_max = max(max(b.block_sizes) for b in bases)
    coef = np.full((dimension, t_max), pad, dtype=np.int64)
    src = np.zeros((dimension, t_max), dtype=np.int64)
    for p, b in zip(pairs, bases):
        local_c = np.full((b.dim, t_max), pad, dtype=np.int64)
        local_s = np.zeros((b.dim, t_max), dtype=np.int64)
        s = 0
        for irr, d in zip(b.block_irreps, b.block_sizes):
            for k in range(d):
                local_c[s + k, :d] = offs[irr] + k * d + np.arange(d)  # row k of hat lambda(phi_c)
                local_s[s + k, :d] = s + np.arange(d)
            s += d
        for q in range(p["n_out"] * p["n_in"]):
            base = p["start"] + q * p["dim"]
            coef[base : base + p["dim"]] = local_c
            src[base : base + p["dim"]] = local_s + base
    return torch.from_numpy(coef), torch.from_numpy(src)
