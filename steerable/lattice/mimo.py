r"""Lattice-reduction-aided MIMO detection: zero-forcing after reduction, symbol error rate against SNR.

Model: :math:`y = Hx + w` with :math:`t` transmit and :math:`t` receive antennas, :math:`H` i.i.d.
:math:`\mathcal{CN}(0, 1)`, square :math:`M`-QAM symbols :math:`x` (per real dimension
:math:`\{-(\sqrt M - 1), \dots, -1, 1, \dots, \sqrt M - 1\}`) and :math:`w \sim \mathcal{CN}(0, N_0 I)`; the SNR
is the received signal power per antenna over the noise, :math:`t E_s / N_0`.  The complex system is
written as the real one of dimension :math:`n = 2t`,

.. math::  \begin{pmatrix}\Re y\\ \Im y\end{pmatrix} = \begin{pmatrix}\Re H & -\Im H\\ \Im H & \Re H\end{pmatrix}
           \begin{pmatrix}\Re x\\ \Im x\end{pmatrix} + \dots

so the channel is a lattice basis of dimension ``n``.  With :math:`s = (x + (\sqrt M - 1))/2 \in \{0..\sqrt M - 1\}^n`,
:math:`y' = (y + (\sqrt M - 1) H \mathbf 1)/2 = Hs + w/2`.  LR-aided zero forcing reduces :math:`\tilde H = HQ`,
solves :math:`\hat z = \lfloor \tilde H^{-1} y' \rceil` on the reduced lattice (:math:`z = Q^{-1}s` is an integer
vector), and maps back :math:`\hat s = \mathrm{clip}(Q\hat z)`.  Plain ZF is the case :math:`Q = I`.

Example:
    >>> H = mimo_channels(50, 2, torch.Generator().manual_seed(0))
    >>> ser = symbol_error_rate(H, torch.eye(4, dtype=torch.int64).expand(50, 4, 4), [40.0], 16, 20,
    ...                         torch.Generator().manual_seed(1))
    >>> ser[0] < 0.05
    True
"""
from __future__ import annotations

import math
from typing import Sequence

import torch

__all__ = ["mimo_channels", "complex_to_real", "symbol_error_rate", "snr_at_ser"]


def complex_to_real(Hc: torch.Tensor) -> torch.Tensor:
    """The real ``(..., 2r, 2t)`` form of complex channels ``(..., r, t)``."""
    top = torch.cat([Hc.real, -Hc.imag], -1)
    return torch.cat([top, torch.cat([Hc.imag, Hc.real], -1)], -2)


def mimo_channels(count: int, t: int, generator: torch.Generator | None = None) -> torch.Tensor:
    r"""``count`` real-form :math:`t \times t` Rayleigh channels :math:`\mathcal{CN}(0, 1)`: ``(count, 2t, 2t)`` float64."""
    re = torch.randn(count, t, t, generator=generator, dtype=torch.float64)
    im = torch.randn(count, t, t, generator=generator, dtype=torch.float64)
    return complex_to_real(torch.complex(re, im) / math.sqrt(2.0))


def _check_qam(M: int) -> int:
    L = math.isqrt(M) if isinstance(M, int) and M > 1 else 0
    if L * L != M or L < 2:
        raise ValueError(f"QAM order must be a square number >= 4 (4, 16, 64...), got {M!r}")
    return L


def symbol_error_rate(H: torch.Tensor, Q: torch.Tensor, snr_db: Sequence[float], qam: int = 16, vectors: int = 20,
                      generator: torch.Generator | None = None) -> list[float]:
    """Symbol error rate of LR-aided zero forcing for channels ``H`` ``(m, n, n)`` reduced by ``Q`` ``(m, n, n)``.

    Args:
        H: real-form channels (``n = 2t``).
        Q: unimodular integer matrices (``HQ`` is the reduced channel); the identity gives plain ZF.
        snr_db: SNRs (dB) to simulate.
        qam: square QAM order.
        vectors: transmitted symbol vectors per channel and SNR.

    Returns:
        One SER per SNR: the fraction of complex QAM symbols with a wrong real or imaginary part.
    """
    L = _check_qam(qam)
    m, n = H.shape[0], H.shape[-1]
    if H.shape != (m, n, n) or Q.shape != (m, n, n) or n % 2:
        raise ValueError(f"H and Q must both be (m, n, n) with n = 2t even, got {tuple(H.shape)} and {tuple(Q.shape)}")
    t = n // 2
    Qf = Q.to(torch.float64)
    Qinv = torch.round(torch.linalg.inv(Qf))
    if not torch.equal(Qf @ Qinv, torch.eye(n, dtype=torch.float64).expand(m, n, n)):
        raise ValueError("Q must be unimodular integer matrices (their inverses are integer)")
    Hred_inv = torch.linalg.inv(H @ Qf)
    es = 2.0 * (qam - 1) / 3.0                                       # mean |x|^2 of the complex QAM symbol
    out = []
    for snr in snr_db:
        n0 = t * es / 10.0 ** (snr / 10.0)
        s = torch.randint(0, L, (m, n, vectors), generator=generator).to(torch.float64)
        x = 2.0 * s - (L - 1)
        w = torch.randn(m, n, vectors, generator=generator, dtype=torch.float64) * math.sqrt(n0 / 2.0)
        y = (H @ x + w + (L - 1) * H.sum(-1, keepdim=True)) / 2.0    # = H s + w / 2
        z = torch.round(Hred_inv @ y)
        s_hat = (Qf @ z).clamp(0, L - 1)
        wrong = (s_hat != s)
        wrong = wrong[:, :t] | wrong[:, t:]                          # a complex symbol: real and imaginary part
        out.append(float(wrong.to(torch.float64).mean()))
    return out


def snr_at_ser(snr_db: Sequence[float], ser: Sequence[float], target: float = 1e-2) -> float:
    """The SNR (dB) where a decreasing SER curve crosses ``target`` (log-linear interpolation; nan if it does not)."""
    for (s0, e0), (s1, e1) in zip(zip(snr_db, ser), zip(snr_db[1:], ser[1:])):
        if e0 >= target >= e1 and e0 > 0:
            if e1 <= 0:
                return float(s1)
            a, b = math.log10(e0), math.log10(e1)
            return float(s0 + (s1 - s0) * (a - math.log10(target)) / (a - b)) if a != b else float(s0)
    return float("nan")
