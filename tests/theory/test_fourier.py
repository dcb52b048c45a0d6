"""Schur blocks against dense linear algebra, in float64, for C_N, D_N, SO(2), O(2)."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from steerable import gspaces
from steerable.nn import FieldType, Linear
from steerable.theory import intertwiner_tail_variance, reconstruct, sample_fourier_perturbation, schur_blocks


def _types(name: str):
    if name.startswith("c"):
        gs = gspaces.rot2dOnR2(int(name[1:]))
        top = gs.irrep(min(1, int(name[1:]) // 2))
        reps_in = [gs.regular_repr] * 2 + [top, gs.trivial_repr]
        reps_out = [gs.regular_repr] * 3 + [top] * 2
    elif name.startswith("d"):
        gs = gspaces.flipRot2dOnR2(int(name[1:]))
        top = gs.irrep(1, min(1, int(name[1:]) // 2))
        reps_in = [gs.regular_repr, gs.regular_repr, top]
        reps_out = [gs.regular_repr] * 2 + [top, gs.irrep(0, 0)]
    elif name == "so2":
        gs = gspaces.rot2dOnR2(-1, maximum_frequency=3)
        reps_in = [gs.irrep(0), gs.irrep(1), gs.irrep(1), gs.irrep(2), gs.irrep(3)]
        reps_out = [gs.irrep(0)] * 2 + [gs.irrep(1), gs.irrep(2), gs.irrep(2), gs.irrep(3)]
    else:  # o2
        gs = gspaces.flipRot2dOnR2(-1, maximum_frequency=3)
        reps_in = [gs.irrep(0, 0), gs.irrep(1, 0), gs.irrep(1, 1), gs.irrep(1, 2), gs.irrep(1, 2)]
        reps_out = [gs.irrep(0, 0), gs.irrep(1, 1), gs.irrep(1, 1), gs.irrep(1, 2), gs.irrep(1, 3)]
    return gs, FieldType(gs, reps_in), FieldType(gs, reps_out)


GROUPS = ["c1", "c2", "c3", "c4", "c8", "c16", "d1", "d4", "d6", "so2", "o2"]


def _random_layer(name: str, seed: int) -> tuple[np.ndarray, FieldType, FieldType]:
    torch.manual_seed(seed)
    _, ti, to = _types(name)
    lin = Linear(ti, to, bias=False).double()
    with torch.no_grad():
        lin.weights.normal_()
    return lin.matrix()[0].detach().numpy(), ti, to


@pytest.mark.parametrize("name", GROUPS)
def test_block_norms_equal_dense_norms(name: str) -> None:
    W, ti, to = _random_layer(name, 0)
    dec = schur_blocks(W, ti.representation, to.representation)
    assert abs(dec.spectral_norm - np.linalg.norm(W, 2)) <= 1e-10 * max(1.0, np.linalg.norm(W, 2))
    assert abs(dec.frobenius_norm**2 - np.linalg.norm(W) ** 2) <= 1e-10 * max(1.0, np.linalg.norm(W) ** 2)
    assert np.abs(reconstruct(dec) - W).max() <= 1e-12 * max(1.0, np.abs(W).max())
    assert dec.residual <= 1e-12


def test_complex_type_blocks_are_complex_matrices() -> None:
    """C_8's frequency-1 irrep is of complex type: its block has two real coefficient matrices,
    and its norm is that of the complex matrix (not of either part)."""
    W, ti, to = _random_layer("c8", 1)
    dec = schur_blocks(W, ti.representation, to.representation)
    blk = next(b for b in dec.blocks if b.irrep == (1,))
    assert (blk.type, blk.c, blk.d) == ("C", 2, 2)
    assert blk.coefficients.shape == (2, blk.m_out, blk.m_in)
    a, b = blk.coefficients
    assert np.abs(b).max() > 1e-3  # the imaginary part is really used
    assert abs(blk.spectral_norm - np.linalg.norm(a + 1j * b, 2)) < 1e-12
    assert blk.spectral_norm > np.linalg.norm(a, 2) + 1e-6 or blk.spectral_norm > np.linalg.norm(b, 2) + 1e-6
    assert blk.frobenius_sq == pytest.approx(2 * (np.sum(a**2) + np.sum(b**2)), rel=1e-12)


def test_multiplicities_of_regular_fields() -> None:
    """c regular C_N fields hold every irrep with multiplicity c * d_psi / c_psi."""
    W, ti, to = _random_layer("c8", 2)
    dec = schur_blocks(W, ti.representation, to.representation)
    m_out = {b.irrep: b.m_out for b in dec.blocks}
    assert m_out[(0,)] == 3 and m_out[(4,)] == 3 and m_out[(1,)] == 3 + 2 and m_out[(2,)] == 3


def test_non_intertwiner_is_refused() -> None:
    W, ti, to = _random_layer("c4", 3)
    W = W + 1e-2 * np.random.default_rng(0).normal(size=W.shape)
    with pytest.raises(ValueError, match="not an intertwiner"):
        schur_blocks(W, ti.representation, to.representation)
    dec = schur_blocks(W, ti.representation, to.representation, atol=np.inf)  # projection
    assert 1e-4 < dec.residual < 1.0


def test_bad_shapes_and_types() -> None:
    W, ti, to = _random_layer("c4", 4)
    with pytest.raises(ValueError, match="shape"):
        schur_blocks(W.T, ti.representation, to.representation)
    with pytest.raises(TypeError, match="Representation"):
        schur_blocks(W, "regular", to.representation)


@pytest.mark.parametrize("name", ["c8", "d4", "so2"])
def test_fourier_perturbation_is_equivariant_and_below_tail_bound(name: str) -> None:
    gs, ti, to = _types(name)
    rng = np.random.default_rng(0)
    ri, ro = ti.representation, to.representation
    sigma = 0.3
    norms = []
    for i in range(400):
        U = sample_fourier_perturbation(ri, ro, sigma, rng)
        if i < 5:
            for g in gs.testing_elements[:6]:
                res = np.abs(ro(g) @ U - U @ ri(g)).max()
                assert res <= 1e-12
        norms.append(np.linalg.norm(U, 2))
    # Tropp's Gaussian-series bound P(||U|| >= t) <= D exp(-t^2 / (2 sigma^2 v)), at 5 %
    v = intertwiner_tail_variance(ri, ro)
    t95 = sigma * np.sqrt(2 * v * np.log((ri.size + ro.size) / 0.05))
    q95 = float(np.quantile(norms, 0.95))
    assert q95 <= t95
    # the bound is not vacuous: it is within a small factor of the measured quantile
    assert t95 < 4 * q95
    # and the dense Gaussian of the same size would need the larger variance max(n_in, n_out)
    assert v < max(ri.size, ro.size)
