"""Correlated grids and joint reduction: exact unimodular Q at every point, correlation, bad input."""
from __future__ import annotations

import pytest
import torch

from steerable.lattice import GridReducer, NeuralLatticeReducer, correlated_grid, integer_det, lll, log_defect


def test_grid_is_smooth_and_kronecker_correlated():
    H = correlated_grid(16, 4, corr_length=6.0, rho=0.5, generator=torch.Generator().manual_seed(0))
    assert H.shape == (16, 16, 4, 4)
    step = (H[1:] - H[:-1]).norm() / H.norm()
    rough = correlated_grid(16, 4, corr_length=0.3, generator=torch.Generator().manual_seed(0))
    assert step < 0.2 < (rough[1:] - rough[:-1]).norm() / rough.norm()


@pytest.mark.parametrize("stride", [1, 2, 4])
def test_joint_reduction_is_exact_and_reduces(stride):
    H = correlated_grid(9, 4, corr_length=4.0, generator=torch.Generator().manual_seed(1))
    red = NeuralLatticeReducer(4).eval()
    HQ, Q = GridReducer(red, stride=stride)(H)
    assert torch.allclose(HQ, H @ Q.double())
    assert all(abs(integer_det(q)) == 1 for q in Q.reshape(-1, 4, 4))
    with torch.no_grad():
        per = log_defect(red(H.reshape(-1, 4, 4))[0]).mean()
    # starting from the best neighbour then refining is at least as good as from scratch on average, here
    assert log_defect(HQ).mean() <= per + 0.05
    # any reducer plugs in: LLL too
    HQl, Ql = GridReducer(lambda B: lll(B, 0.99), stride=stride)(H)
    assert torch.allclose(HQl, H @ Ql.double())


def test_bad_input():
    with pytest.raises(ValueError, match="power of two"):
        GridReducer(lll, stride=3)
    with pytest.raises(ValueError, match="grid"):
        GridReducer(lll)(torch.randn(3, 4, 4))
    with pytest.raises(ValueError, match="corr_length"):
        correlated_grid(4, 3, corr_length=0.0)
