"""GroupLikelihood: a normalised density on the group, its Fourier coefficients, entropy and KL."""
from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.special
import torch

from steerable.group import cyclic_group, dihedral_group, o2_group, o3_group, octa_group, so2_group, so3_group
from steerable.partial import GroupLikelihood, LikelihoodSet

GROUPS = [cyclic_group(8), dihedral_group(4), so2_group(), o2_group(), so3_group(), o3_group(), octa_group()]


def _perturbed(G, band=2, scale=0.3, seed=0):
    lam = GroupLikelihood(G, band).double()
    with torch.no_grad():
        lam.theta.add_(scale * torch.randn(lam.theta.shape, generator=torch.Generator().manual_seed(seed), dtype=torch.float64))
    return lam


def _dense(G):
    """An independent grid for checks: all elements, 4096 uniform angles (per coset), or 20000 SO(3) points."""
    if not G.continuous:
        return G.elements
    if "regular" in G.grid_kinds:
        return G.grid("regular", 4096)
    return G.grid("hopf", 20000)


@pytest.mark.parametrize("G", GROUPS, ids=lambda G: G.name)
def test_uniform_at_initialisation(G):
    lam = GroupLikelihood(G, 1).double()
    vals = lam(G.grid("rand", 50) if G.continuous else G.elements)
    assert torch.allclose(vals, torch.ones_like(vals), atol=1e-12)
    hat = lam.fourier()
    triv = G.trivial_representation.id
    for k, v in hat.items():
        expected = torch.eye(v.shape[0], dtype=v.dtype) if k == triv else torch.zeros_like(v)
        assert torch.allclose(v, expected, atol=1e-12), k
    assert abs(float(lam.entropy())) < 1e-12


@pytest.mark.parametrize("G", GROUPS, ids=lambda G: G.name)
def test_density_positive_and_normalised(G):
    lam = _perturbed(G)
    grid = lam.density_on_grid()
    assert (grid >= 0).all()
    assert abs(float((lam.weights * grid).sum()) - 1) < 1e-6
    dense = lam(_dense(G))  # an independent grid: the quadrature of the density itself
    assert (dense >= 0).all()
    assert abs(float(dense.mean()) - 1) < 1e-3


@pytest.mark.parametrize("G", GROUPS, ids=lambda G: G.name)
def test_fourier_kl_matches_dense_grid(G):
    p, q = _perturbed(G, 2, 0.3, 0), _perturbed(G, 1, 0.3, 1)
    els = _dense(G)
    pv, qv = p(els).detach(), q(els).detach()
    mc = float((pv * torch.log(pv / qv)).mean())
    assert abs(float(p.kl(q)) - mc) < 1e-3
    mc_u = float((pv * torch.log(pv)).mean())
    assert abs(float(p.kl()) - mc_u) < 1e-3
    assert abs(float(p.entropy()) + mc_u) < 1e-3
    assert abs(float(p.kl(p))) < 1e-12
    assert float(p.kl(q)) > 0


def test_peaked_so2_coefficients_are_bessel_ratios():
    # f = 20 cos(t): hat lambda(k) = I_k(20) / I_0(20) times the identity (von Mises)
    G = so2_group()
    lam = GroupLikelihood(G, 1, output_band_limit=3).double()
    with torch.no_grad():
        lam.theta.zero_()
        lam.theta[1:5] = torch.tensor([10.0, 0.0, 0.0, 10.0])  # tr(theta^T R(t)) = 20 cos t
    hat = lam.fourier()
    for k in range(4):
        ratio = scipy.special.ive(k, 20) / scipy.special.ive(0, 20)
        assert torch.allclose(hat[(k,)], ratio * torch.eye(hat[(k,)].shape[0], dtype=torch.float64), atol=1e-9)
    t = 0.7
    expected = math.exp(20 * math.cos(t)) / scipy.special.iv(0, 20)
    assert abs(float(lam(G.element(t))) / expected - 1) < 1e-9
    assert abs(float(lam.alignment())) < 1e-12  # the mode is the identity
    with torch.no_grad():
        lam.theta[1:5] = torch.tensor([-10.0, 0.0, 0.0, -10.0])
    assert float(lam.alignment()) == pytest.approx(40.0, rel=1e-3)


def test_elements_and_gradients():
    G = o2_group()
    lam = _perturbed(G)
    els = G.grid("rand", 5)
    batch = lam(els)
    assert batch.shape == (5,)
    assert torch.allclose(torch.stack([lam(g) for g in els]), batch)
    (lam.kl() + lam.alignment()).backward()
    assert lam.theta.grad is not None and lam.theta.grad.abs().sum() > 0


def test_bad_input():
    with pytest.raises(ValueError, match="maximum frequency 4"):
        GroupLikelihood(cyclic_group(8), band_limit=5)
    with pytest.raises(ValueError, match="output_band_limit"):
        GroupLikelihood(dihedral_group(4), band_limit=1, output_band_limit=3)
    with pytest.raises(ValueError, match="band_limit"):
        GroupLikelihood(so2_group(), band_limit=-1)
    with pytest.raises(TypeError, match="Group or GSpace"):
        GroupLikelihood("SO(2)")
    with pytest.raises(ValueError, match="different groups"):
        GroupLikelihood(so2_group()).kl(GroupLikelihood(o2_group()))
    with pytest.raises(ValueError, match="elements of SO\\(2\\)"):
        GroupLikelihood(so2_group())(o2_group().identity)
    with pytest.raises(ValueError, match="cannot integrate"):
        GroupLikelihood(so3_group(), 2, grid=10)


def test_shared_layer_id_and_state_dict():
    bank = LikelihoodSet(so2_group(), band_limit=2)
    a, b, c = bank.get(0), bank.get(0), bank.get(1)
    assert a is b and a is not c
    assert len(list(bank.parameters())) == 2
    with torch.no_grad():
        a.theta.add_(0.5)
    fresh = LikelihoodSet(so2_group(), band_limit=2)
    fresh.get(0), fresh.get(1)
    fresh.load_state_dict(bank.state_dict())
    g = so2_group().element(1.1)
    assert torch.allclose(fresh.get(0)(g), a(g)) and torch.allclose(fresh.get(1)(g), c(g))
    assert set(bank.state_dict()) == {"0.theta", "1.theta"}  # derived grids are not state
    assert np.isclose(float(a.density_on_grid().mean()), 1.0)
