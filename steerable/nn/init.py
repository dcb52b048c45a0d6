"""Initialisations of the coefficients of equivariant convolutions and linear maps (escnn's
``nn.init`` names).

Both functions write a flat coefficient vector ``tensor`` in place, for the basis expansion that
maps it to a filter (``conv.weights`` and ``conv.basisexpansion``).  The filter is always
equivariant, whatever the coefficients; the initialisations choose its scale and structure.

Example:
    >>> import torch
    >>> from steerable import gspaces, nn
    >>> gs = gspaces.rot2dOnR2(4)
    >>> t = nn.FieldType(gs, 2 * [gs.regular_repr])
    >>> conv = nn.R2Conv(t, t, kernel_size=1)
    >>> nn.init.deltaorthonormal_init(conv.weights.data, conv.basisexpansion)
    >>> W = conv.expand_parameters()[0][:, :, 0, 0]
    >>> bool(torch.allclose(W @ W.T, torch.eye(8), atol=1e-5))
    True
"""
from __future__ import annotations

import torch

from .basis_expansion import BlocksBasisExpansion

__all__ = ["generalized_he_init", "deltaorthonormal_init"]


def _check(tensor: torch.Tensor, basismanager: BlocksBasisExpansion) -> int:
    if not isinstance(tensor, torch.Tensor):
        raise TypeError(f"tensor must be a torch.Tensor of coefficients, got {type(tensor).__name__}")
    if not isinstance(basismanager, BlocksBasisExpansion):
        raise TypeError(f"basismanager must be a BlocksBasisExpansion (e.g. conv.basisexpansion), got {type(basismanager).__name__}")
    d = basismanager.dimension
    if tensor.dim() != 1 or tensor.numel() % d != 0:
        raise ValueError(
            f"tensor must be a flat vector of {d} coefficients (or a multiple, one block per conv group), "
            f"got shape {tuple(tensor.shape)}"
        )
    return tensor.numel() // d


def generalized_he_init(tensor: torch.Tensor, basismanager: BlocksBasisExpansion, cache: bool = False,
                        generator: torch.Generator | None = None) -> None:
    """He initialisation generalised to steerable filters: coefficients are drawn so that each
    output channel has variance ``2 / fan_in`` measured on the expanded filter (the basis
    elements are not normalised alike, so the standard deviation differs per element).

    Args:
        tensor: flat coefficients, ``(groups * basismanager.dimension,)``, written in place.
        basismanager: the expansion the coefficients feed (escnn's name for it).
        cache: accepted for escnn compatibility; the per-element scales are always computed from
            the expansion's buffers, never stored in a process-wide cache.
        generator: optional random generator.
    """
    groups = _check(tensor, basismanager)
    d = basismanager.dimension
    for k in range(groups):
        basismanager.initialize(tensor.data[k * d : (k + 1) * d], generator)


@torch.no_grad()
def deltaorthonormal_init(tensor: torch.Tensor, basismanager: BlocksBasisExpansion,
                          generator: torch.Generator | None = None) -> None:
    """Delta-orthogonal initialisation (Xiao et al. 2018) made equivariant: the filter is, as
    closely as the basis allows (least squares, pair by pair of field kinds), zero off the centre
    and a (semi-)orthogonal equivariant matrix ``U`` at the centre.

    ``U`` is the polar factor of the centre of a random equivariant filter; the polar factor of
    an intertwiner is again an intertwiner (``M^T M`` commutes with ``rho_in``), so ``U``
    satisfies the constraint exactly.  For 1x1 kernels the result is exactly orthogonal.

    Args:
        tensor: flat coefficients, ``(groups * basismanager.dimension,)``, written in place.
        basismanager: the expansion the coefficients feed (escnn's name for it).
        generator: optional random generator.
    """
    groups = _check(tensor, basismanager)
    be = basismanager
    d = be.dimension
    shape = be.kernel_shape
    K = 1
    for s in shape:
        K *= s
    center = K // 2  # odd kernels: the middle point of the flattened grid
    w0 = torch.empty(d, dtype=torch.float64)
    for k in range(groups):
        be.initialize(w0, generator)
        buf = be.basis_0
        F = be(w0.to(buf.dtype).to(buf.device)).detach().cpu().double().reshape(be.out_type.size, be.in_type.size, K)
        u, _, vh = torch.linalg.svd(F[:, :, center], full_matrices=False)
        target = torch.zeros_like(F)
        target[:, :, center] = u @ vh
        w = torch.empty(d, dtype=torch.float64)
        for i, p in enumerate(be.pairs):
            B = be._basis64[i]  # (dim, d_out * d_in * K)
            out_idx, in_idx = getattr(be, f"out_idx_{i}").cpu(), getattr(be, f"in_idx_{i}").cpu()
            T = target[out_idx[:, None], in_idx[None, :]]  # (n_out d_out, n_in d_in, K)
            T = T.reshape(p["n_out"], p["d_out"], p["n_in"], p["d_in"], K).permute(0, 2, 1, 3, 4)
            T = T.reshape(p["n_out"] * p["n_in"], p["d_out"] * p["d_in"] * K)
            w[p["start"] : p["stop"]] = (T @ torch.linalg.pinv(B)).reshape(-1)
        tensor.data[k * d : (k + 1) * d] = w.to(tensor.dtype)

