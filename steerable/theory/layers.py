"""Walk any ``nn.Module`` for its linear layers and measure what the bounds need.

For every linear layer ``l`` (steerable ``R2Conv``/``R3Conv``/``Linear``, plain ``torch.nn``
``Linear``/``Conv2d``/``Conv3d``) :func:`measure_layers` records, in float64:

* ``spectral``: the operator norm ``beta_l`` of the layer **as a map on feature maps**.  For a
  ``k x k`` convolution on an ``n x n`` input this is the norm of the *circular* convolution,
  ``max_omega ||K_hat(omega)||_2`` over the 2-D (3-D) DFT of the filter zero-padded to the
  grid: an upper bound of the zero-padded convolution's norm (which is a compression of the
  circular one on a grid ``n + k - 1``; we use the input's own grid, which is what the layer
  sees), and stride only lowers it (subsampling is a projection).  For a linear layer or 1x1
  conv it is ``||W||_2``, computed from the Schur blocks for steerable layers.
* ``dense_sq = ||filter||_F^2`` and ``param_sq = ||theta||^2`` (the steerable coefficients).
* the variance proxies of two Gaussian perturbations, for Tropp's matrix Gaussian series bound
  ``P(||U||_op >= t) <= D exp(-t^2 / (2 sigma^2 v))`` (Tropp 2012, "User-friendly tail bounds",
  Thm 4.1.1).  Write the filter as the ``n_out x (n_in K)`` matrix ``U_mat`` (``K = k^d`` taps);
  the conv operator is ``U_mat`` after ``K`` shifted copies of the input, so
  ``||conv_U|| <= sqrt(K) ||U_mat||`` and ``v_op = K v_mat``:

  - dense (NBS18's perturbation, i.i.d. ``N(0, sigma^2)`` on every filter entry):
    ``v_mat = max(n_out, n_in K)``, ``D = n_out + n_in K``;
  - equivariant (i.i.d. ``N(0, sigma^2)`` on the steerable coefficients ``theta``, so ``U``
    stays in the equivariant subspace): ``v_mat = max(||E U U^T||, ||E U^T U||) / sigma^2``,
    computed exactly from the kernel basis (independent coefficients per field pair make both
    matrices block diagonal over fields).  For an orthonormal basis of intertwiners this is
    ``max_psi c_psi max(m_in,psi, m_out,psi) / d_psi`` (see
    :func:`~steerable.theory.fourier.intertwiner_tail_variance`), instead of ``max(n_in, n_out)``.

Other modules: batch norms (anything with ``running_var`` and ``eps``) multiply the norm
product by their Lipschitz constant ``max |weight| / sqrt(running_var + eps)`` (eval mode);
nonlinearities and poolings are taken as 1-Lipschitz.  Layers that are not steerable are
reported with ``equivariant=False``: their equivariant terms are the dense ones.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import torch

from ..nn import Linear as SLinear
from ..nn.conv import _RdConv
from .fourier import SchurDecomposition, schur_blocks

__all__ = ["LayerMeasure", "measure_layers", "conv_operator_norm"]


@dataclass
class LayerMeasure:
    """What one linear layer contributes to the bounds (all float64).

    Attributes:
        name: the module's qualified name in the model.
        kind: ``'R2Conv'``, ``'R3Conv'``, ``'Linear'`` (steerable), ``'torch.Linear'``, ``'torch.Conv2d'``...
        equivariant: whether the layer is a steerable (constrained) layer.
        n_in, n_out, taps: channels and kernel taps ``K``; ``grid``: the input's spatial shape.
        spectral: the operator norm ``beta_l`` (see module docstring).
        dense_sq: ``||filter||_F^2``; ``param_sq``: ``||theta||^2`` (= ``dense_sq`` for plain layers).
        v_dense, D_dense, v_equiv, D_equiv: Tropp variance proxies and dimensions (operator level).
        schur: Schur blocks of the matrix (linear / 1x1 layers) or of the centre tap (``k x k`` convs).
    """

    name: str
    kind: str
    equivariant: bool
    n_in: int
    n_out: int
    taps: int
    grid: tuple[int, ...]
    spectral: float
    dense_sq: float
    param_sq: float
    v_dense: float
    D_dense: int
    v_equiv: float
    D_equiv: int
    schur: SchurDecomposition | None = field(default=None, repr=False)


def conv_operator_norm(filt: torch.Tensor, grid: tuple[int, ...]) -> float:
    """``max_omega ||K_hat(omega)||_2``: the norm of the circular convolution by ``filt`` on ``grid``.

    Args:
        filt: ``(n_out, n_in, k_1, ..., k_d)`` filter.
        grid: the spatial shape ``(n_1, ..., n_d)`` (each ``n_i >= k_i``; smaller grids are
            enlarged to the kernel, the norm only grows).
    """
    d = filt.dim() - 2
    if len(grid) != d:
        raise ValueError(f"grid must have {d} axes for a filter of shape {tuple(filt.shape)}, got {grid}")
    size = [max(int(n), int(k)) for n, k in zip(grid, filt.shape[2:])]
    # a real filter has K_hat(-omega) = conj(K_hat(omega)) (same singular values): half the spectrum suffices
    F = torch.fft.rfftn(filt.detach().double(), s=size, dim=tuple(range(2, 2 + d)))
    F = F.reshape(filt.shape[0], filt.shape[1], -1).permute(2, 0, 1)
    # sigma_max^2 = the top eigenvalue of the smaller Gram matrix: several times cheaper than batched SVDs
    G = F.mH @ F if F.shape[2] <= F.shape[1] else F @ F.mH
    return float(torch.linalg.eigvalsh(G)[:, -1].max().clamp_min(0.0).sqrt())


def _equivariant_variance(conv: torch.nn.Module) -> tuple[float, int]:
    """``(v_mat, D)`` of the coefficient-space Gaussian, from the basis blocks of the layer."""
    be = conv.basisexpansion
    S_out: dict[tuple, np.ndarray] = {}
    S_in: dict[tuple, np.ndarray] = {}
    for i, p in enumerate(be.pairs):
        B = be._basis64[i].numpy().reshape(p["dim"], p["d_out"], -1)  # (dim, d_out, d_in K)
        ko = tuple(getattr(be, f"out_idx_{i}").tolist()[: p["d_out"]])
        ki = tuple(getattr(be, f"in_idx_{i}").tolist()[: p["d_in"]])
        # E U U^T on one output field: sum over its input fields of sum_j B_j B_j^T
        S_out[ko] = S_out.get(ko, 0) + p["n_in"] * np.einsum("jab,jcb->ac", B, B)
        S_in[ki] = S_in.get(ki, 0) + p["n_out"] * np.einsum("jab,jac->bc", B, B)
    v = max(max(np.linalg.norm(M, 2) for M in S_out.values()), max(np.linalg.norm(M, 2) for M in S_in.values()))
    taps = math.prod(be.kernel_shape)
    return float(v), be.out_type.size + be.in_type.size * taps


def _schur_of(layer: torch.nn.Module, filt: torch.Tensor) -> SchurDecomposition | None:
    centre = tuple(k // 2 for k in filt.shape[2:])
    if any(k % 2 == 0 for k in filt.shape[2:]):
        return None
    W = filt[(slice(None), slice(None), *centre)].detach().double().numpy()
    return schur_blocks(W, layer.in_type.representation, layer.out_type.representation, atol=1e-6)


def _measure(name: str, layer: torch.nn.Module, grid: tuple[int, ...]) -> LayerMeasure:
    with torch.no_grad():
        if isinstance(layer, _RdConv):
            if layer._transposed or layer.groups != 1:
                raise ValueError(f"layer {name!r}: transposed or grouped steerable convolutions are not supported by the bounds")
            filt = layer.expand_parameters()[0].double()
            kind = type(layer).__name__
            equivariant = True
        elif isinstance(layer, SLinear):
            filt = layer.matrix()[0].double()[:, :, None]
            kind, equivariant = "Linear", True
        elif isinstance(layer, torch.nn.Linear):
            filt = layer.weight.double()[:, :, None]
            kind, equivariant = "torch.Linear", False
        else:  # torch.nn.Conv2d / Conv3d
            if layer.groups != 1:
                raise ValueError(f"layer {name!r}: grouped convolutions are not supported by the bounds")
            filt = layer.weight.double()
            kind, equivariant = f"torch.{type(layer).__name__}", False
        n_out, n_in = filt.shape[:2]
        taps = math.prod(filt.shape[2:])
        if taps == 1:
            spectral = float(torch.linalg.matrix_norm(filt.reshape(n_out, n_in), ord=2))
        else:
            spectral = conv_operator_norm(filt, grid)
        dense_sq = float((filt**2).sum())
        v_dense, D_dense = float(taps * max(n_out, n_in * taps)), n_out + n_in * taps
        schur = None
        if equivariant:
            param_sq = float((layer.weights.double() ** 2).sum())
            v_mat, D_equiv = _equivariant_variance(layer)
            v_equiv = taps * v_mat
            schur = _schur_of(layer, filt)
            if taps == 1 and schur is not None:
                spectral = schur.spectral_norm  # the same number, from the blocks
        else:
            param_sq, v_equiv, D_equiv = dense_sq, v_dense, D_dense
    return LayerMeasure(name, kind, equivariant, int(n_in), int(n_out), int(taps), tuple(grid), spectral, dense_sq, param_sq,
                        v_dense, int(D_dense), v_equiv, int(D_equiv), schur)


_LINEAR = (_RdConv, SLinear, torch.nn.Linear, torch.nn.Conv2d, torch.nn.Conv3d)


def measure_layers(model: torch.nn.Module, x: torch.Tensor) -> tuple[list[LayerMeasure], float]:
    """Measure every linear layer of ``model`` and the Lipschitz factor of its batch norms.

    Args:
        model: any module; it is run once (eval mode, no grad) on ``x`` to read each layer's grid.
        x: a batch of inputs ``(B, C, *spatial)``.

    Returns:
        ``(layers in call order, product of batch-norm Lipschitz constants)``.

    Raises:
        ValueError: if the model has no linear layer, or one the bounds cannot measure.
    """
    grids: dict[str, tuple[int, ...]] = {}
    order: list[tuple[str, torch.nn.Module]] = []
    hooks = []

    def hook(name: str):
        def fn(mod, inputs):
            t = inputs[0]
            t = getattr(t, "tensor", t)
            if name not in grids:
                grids[name] = tuple(t.shape[2:])
                order.append((name, mod))
        return fn

    for name, mod in model.named_modules():
        if isinstance(mod, _LINEAR):
            hooks.append(mod.register_forward_pre_hook(hook(name)))
    was = model.training
    model.eval()
    try:
        with torch.no_grad():
            model(x)
    finally:
        for h in hooks:
            h.remove()
        model.train(was)
    if not order:
        raise ValueError(f"{type(model).__name__} has no linear layer (R2Conv, R3Conv, Linear, Conv2d) that ran on the input")
    layers = [_measure(name, mod, grids[name]) for name, mod in order]
    lip = 1.0
    for mod in model.modules():
        rv = getattr(mod, "running_var", None)
        if isinstance(rv, torch.Tensor) and hasattr(mod, "eps"):
            s = 1.0 / torch.sqrt(rv.double() + float(mod.eps))
            w = getattr(mod, "weight", None)
            if isinstance(w, torch.Tensor) and w.shape == s.shape:
                s = s * w.detach().double().abs()
            lip *= float(s.max())
    return layers, lip
