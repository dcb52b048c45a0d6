"""LR-aided MIMO detection: the real form, error rates that fall with SNR and with reduction, bad input."""
from __future__ import annotations

import math

import pytest
import torch

from steerable.lattice import lll
from steerable.lattice.evaluate import fpylll_lll, have_fpylll, score_reducers
from steerable.lattice.mimo import complex_to_real, mimo_channels, snr_at_ser, symbol_error_rate


def test_real_form_matches_complex_product():
    g = torch.Generator().manual_seed(0)
    Hc = torch.complex(torch.randn(3, 2, 2, generator=g, dtype=torch.float64), torch.randn(3, 2, 2, generator=g, dtype=torch.float64))
    x = torch.complex(torch.randn(3, 2, 1, generator=g, dtype=torch.float64), torch.randn(3, 2, 1, generator=g, dtype=torch.float64))
    y = Hc @ x
    yr = complex_to_real(Hc) @ torch.cat([x.real, x.imag], -2)
    assert torch.allclose(yr, torch.cat([y.real, y.imag], -2))


def test_ser_falls_with_snr_and_reduction_helps():
    g = torch.Generator().manual_seed(1)
    H = mimo_channels(300, 2, g)
    eye = torch.eye(4, dtype=torch.int64).expand(300, 4, 4)
    snr = [5.0, 20.0, 35.0]
    zf = symbol_error_rate(H, eye, snr, 16, 10, torch.Generator().manual_seed(2))
    lr = symbol_error_rate(H, lll(H, 0.99)[1], snr, 16, 10, torch.Generator().manual_seed(2))
    assert zf[0] > zf[1] > zf[2] and lr[0] > lr[1] > lr[2]
    assert lr[2] < zf[2]                       # reduction pays off where noise is small
    assert zf[0] > 0.3 and lr[2] < 0.01        # sanity of the SNR scale: 16-QAM, 5 dB is hopeless, 35 dB near-clean
    # the same Q, a noiseless channel: zero errors (the detector inverts exactly)
    assert symbol_error_rate(H, lll(H)[1], [300.0], 16, 5)[0] == 0.0


def test_snr_at_ser():
    assert math.isclose(snr_at_ser([0, 10], [1e-1, 1e-3], 1e-2), 5.0)
    assert math.isnan(snr_at_ser([0, 10], [0.5, 0.2], 1e-2))


def test_bad_input():
    H = mimo_channels(2, 2)
    eye = torch.eye(4, dtype=torch.int64).expand(2, 4, 4)
    with pytest.raises(ValueError, match="square number"):
        symbol_error_rate(H, eye, [10.0], qam=8)
    with pytest.raises(ValueError, match="unimodular"):
        symbol_error_rate(H, 2 * eye, [10.0])
    with pytest.raises(ValueError, match=r"\(m, n, n\)"):
        symbol_error_rate(H, eye[:, :3, :3], [10.0])


def test_score_reducers_and_fpylll():
    B = torch.randn(30, 5, 5, dtype=torch.float64, generator=torch.Generator().manual_seed(3))
    rows = score_reducers(B, {"id": lambda X: (X, torch.eye(5, dtype=torch.int64).expand(30, 5, 5)), "lll": lll})
    assert rows[0].mean_log_defect > rows[1].mean_log_defect and rows[1].ms_per_lattice > 0
    if not have_fpylll():
        with pytest.raises(ImportError, match=r"steerable\[lattice\]"):
            fpylll_lll(B)
        return
    R, Q = fpylll_lll(B)
    assert torch.allclose(R, B @ Q.double())
    assert abs(float(torch.linalg.det(Q.double()).abs().min()) - 1) < 1e-9
