"""Reconstruction metrics: pose error after global alignment, resampling a volume into the reference frame, FSC.

A reconstruction is defined up to a global rotation and, from projections alone, a mirror (the hand). If
``V_hat(x) = V(Q^T x)`` then poses ``R_hat = Q R`` render the same images; the mirrored volume
``V_hat(x) = V(J Q^T x)``, ``J = diag(1, 1, -1)``, pairs with ``R_hat = Q J R J``. :func:`align_rotations` fits
``Q`` by orthogonal Procrustes over SO(3) for both hands (then refits on the poses within 30° of the fit, twice,
so a minority of wrong poses does not drag ``Q``) and keeps the hand with the lower median error.

FSC between volumes ``V1, V2`` on Fourier shells ``|k| in [r - 1/2, r + 1/2)``:
``FSC(r) = Re sum F1 conj(F2) / sqrt(sum |F1|^2 sum |F2|^2)``; the resolution at threshold ``c`` is
``1 / k`` Å at the first crossing below ``c`` (linear between shells).

Example:
    >>> V = torch.rand(16, 16, 16)
    >>> k, f = fsc(V, V, pixel_size=2.0)
    >>> bool(torch.allclose(f, torch.ones_like(f)))
    True
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

from .geometry import geodesic_distance
from .projection import check_volume

__all__ = ["Alignment", "align_rotations", "align_volume", "resample_volume", "fsc", "resolution"]

_J = torch.diag(torch.tensor([1.0, 1.0, -1.0], dtype=torch.float64))


@dataclass(frozen=True)
class Alignment:
    """A global alignment of predicted to true poses: ``R_pred ~ Q R_true`` (``mirrored``: ``Q J R_true J``);
    ``errors`` are the per-pose geodesic errors (degrees) after it."""

    Q: torch.Tensor
    mirrored: bool
    errors: torch.Tensor

    @property
    def median(self) -> float:
        return float(self.errors.median())


def _procrustes(A: torch.Tensor, B: torch.Tensor) -> torch.Tensor:
    """argmin over SO(3) of sum_i ||A_i - Q B_i||_F^2."""
    M = (A @ B.transpose(1, 2)).sum(0)
    U, _, Vh = torch.linalg.svd(M)
    D = torch.diag(torch.tensor([1.0, 1.0, float(torch.sign(torch.linalg.det(U @ Vh)))], dtype=M.dtype))
    return U @ D @ Vh


def align_rotations(R_pred: torch.Tensor, R_true: torch.Tensor) -> Alignment:
    """The global rotation (and hand) that best maps ``R_true`` onto ``R_pred`` (both ``(B, 3, 3)``)."""
    if R_pred.shape != R_true.shape or R_pred.ndim != 3 or R_pred.shape[1:] != (3, 3) or R_pred.shape[0] == 0:
        raise ValueError(f"need two (B, 3, 3) tensors of one shape, B > 0; got {tuple(R_pred.shape)} and "
                         f"{tuple(R_true.shape)}")
    A = R_pred.detach().double().cpu()
    best: Alignment | None = None
    for mirrored in (False, True):
        B = _J @ R_true.detach().double().cpu() @ _J if mirrored else R_true.detach().double().cpu()
        Q = _procrustes(A, B)
        for _ in range(2):
            err = geodesic_distance(A, Q @ B)
            keep = err < 30.0
            if int(keep.sum()) >= 3:
                Q = _procrustes(A[keep], B[keep])
        cand = Alignment(Q, mirrored, geodesic_distance(A, Q @ B))
        if best is None or cand.median < best.median:
            best = cand
    assert best is not None
    return best


def resample_volume(V: torch.Tensor, M: torch.Tensor) -> torch.Tensor:
    """``W(y) = V(M y)`` (trilinear, zero outside) on the same grid (coordinates as in ``geometry``)."""
    N = check_volume(V)
    a = torch.arange(N, dtype=V.dtype, device=V.device) - N // 2
    zz, yy, xx = torch.meshgrid(a, a, a, indexing="ij")
    p = torch.stack([xx, yy, zz], -1) @ M.to(V).T
    g = (p + N // 2) * (2.0 / (N - 1)) - 1.0
    return F.grid_sample(V[None, None], g[None], mode="bilinear", padding_mode="zeros", align_corners=True)[0, 0]


def align_volume(V_hat: torch.Tensor, alignment: Alignment) -> torch.Tensor:
    """A reconstruction brought into the reference frame: ``V(y) = V_hat(Q y)`` (mirrored: ``V_hat(Q J y)``)."""
    M = alignment.Q @ _J if alignment.mirrored else alignment.Q
    return resample_volume(V_hat, M)


def fsc(V1: torch.Tensor, V2: torch.Tensor, pixel_size: float = 1.0) -> tuple[torch.Tensor, torch.Tensor]:
    """Shell frequencies ``k`` (1/Å, shells ``r = 1 .. N // 2``) and the FSC curve, both ``(N // 2,)``."""
    N = check_volume(V1, "V1")
    if V2.shape != V1.shape:
        raise ValueError(f"FSC needs volumes of one shape, got {tuple(V1.shape)} and {tuple(V2.shape)}")
    F1 = torch.fft.fftshift(torch.fft.fftn(V1.double()))
    F2 = torch.fft.fftshift(torch.fft.fftn(V2.double()))
    a = torch.arange(N, dtype=torch.float64) - N // 2
    r = torch.sqrt(sum(x**2 for x in torch.meshgrid(a, a, a, indexing="ij"))).round().long()
    shells = torch.arange(1, N // 2 + 1)
    num = torch.zeros(N // 2 + 1, dtype=torch.float64).index_add_(0, r.clamp(max=N // 2).flatten(),
                                                                    (F1 * F2.conj()).real.flatten())
    d1 = torch.zeros_like(num).index_add_(0, r.clamp(max=N // 2).flatten(), (F1.abs() ** 2).flatten())
    d2 = torch.zeros_like(num).index_add_(0, r.clamp(max=N // 2).flatten(), (F2.abs() ** 2).flatten())
    curve = num[shells] / torch.sqrt(d1[shells] * d2[shells]).clamp_min(1e-30)
    return shells.double() / (N * pixel_size), curve


def resolution(k: torch.Tensor, curve: torch.Tensor, threshold: float = 0.5) -> float:
    """Resolution in Å where ``curve`` first falls below ``threshold`` (the Nyquist limit if it never does)."""
    below = (curve < threshold).nonzero()
    if len(below) == 0:
        return float(1.0 / k[-1])
    i = int(below[0])
    if i == 0:
        return float(1.0 / k[0])
    f0, f1 = float(curve[i - 1]), float(curve[i])
    kk = float(k[i - 1] + (k[i] - k[i - 1]) * (f0 - threshold) / (f0 - f1))
    return 1.0 / kk
