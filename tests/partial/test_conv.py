"""Relaxed convolutions: equivariant at uniform lambda, unconstrained at lambda = delta_e, trainable."""
from __future__ import annotations

import pytest
import torch

from steerable.gspaces import flipRot2dOnR2, rot2dOnR2, rot3dOnR3
from steerable.kernels import GridKernelBasis
from steerable.nn import FieldType, GeometricTensor
from steerable import partial


def _so2():
    gs = rot2dOnR2(-1, maximum_frequency=3)
    return gs, FieldType(gs, [gs.irrep(0), gs.irrep(1), gs.irrep(2)])


def _o2():
    gs = flipRot2dOnR2(-1, maximum_frequency=3)
    return gs, FieldType(gs, [gs.irrep(0, 0), gs.irrep(1, 0), gs.irrep(1, 1), gs.irrep(1, 2)])


def _so3():
    gs = rot3dOnR3(maximum_frequency=2)
    return gs, FieldType(gs, [gs.irrep(0), gs.irrep(1)])


def _layer(make, **kw):
    gs, ft = make()
    Conv = partial.R2Conv if gs.dimensionality == 2 else partial.R3Conv
    return gs, ft, Conv(ft, ft, 5 if gs.dimensionality == 2 else 3, **kw).double()


def _peak(lam, strength=20.0):
    """theta with f = strength * (chi(g) restricted to the frequency-1 irreps), peaked at the identity."""
    with torch.no_grad():
        lam.theta.zero_()
        lam.theta[0] = 1.0
        p = 0
        for psi, d in zip(lam.irreps, lam._sizes):
            if psi.attributes.get("frequency", 0) == 1:
                lam.theta[p : p + d * d] = strength / 2 * torch.eye(d, dtype=lam.theta.dtype).flatten()
            p += d * d


def _kernel_error(layer, gs, ft, seed=0):
    G = gs.fibergroup
    x = 1.5 * torch.randn(30, gs.dimensionality, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)
    err = 0.0
    with torch.no_grad():
        K0 = layer.kernel(x)
        for s in range(4):
            g = G.sample(seed + s)
            A = torch.from_numpy(gs.basespace_action(g))
            rho = torch.from_numpy(ft.representation(g))
            err = max(err, float((layer.kernel(x @ A.T) - rho @ K0 @ rho.T).abs().max() / K0.abs().max()))
    return err


@pytest.mark.parametrize("make", [_so2, _o2, _so3], ids=["SO2", "O2", "SO3"])
def test_continuous_equivariance_at_init_and_broken_when_peaked(make):
    gs, ft, layer = _layer(make)
    assert _kernel_error(layer, gs, ft) < 1e-9
    _peak(layer.likelihood)
    assert _kernel_error(layer, gs, ft) > 1e-2  # the check can fail: a peaked lambda breaks equivariance


@pytest.mark.parametrize("gs", [rot2dOnR2(4), rot2dOnR2(8), flipRot2dOnR2(4), rot2dOnR2(-1, maximum_frequency=2)],
                         ids=lambda g: g.name)
def test_grid_equivariance_at_init_float32(gs):
    ft = FieldType(gs, [gs.regular_repr] if not gs.fibergroup.continuous else [gs.trivial_repr, gs.irrep(1)])
    layer = partial.R2Conv(ft, ft, 5, padding=2)
    layer.check_equivariance(atol=1e-5, rtol=1e-5)


def _stacked(basis, pts):
    return basis.sample(pts).permute(1, 0, 2, 3).reshape(basis.dim, -1)


def test_uniform_lambda_spans_exactly_the_equivariant_basis():
    gs, ft = _o2()
    rho_in, rho_out = ft.representation, ft.representation
    lam = partial.GroupLikelihood(gs, 2).double()
    rel = partial.RelaxedConvBasis(gs, 5, lam.output_band_limit).pair(rho_in, rho_out)
    eq = GridKernelBasis(gs, rho_in, rho_out, 5)
    pts = 2.0 * torch.rand(200, 2, generator=torch.Generator().manual_seed(0), dtype=torch.float64) - 1.0
    pts = 2.5 * pts
    trivial = gs.fibergroup.trivial_representation.id
    mask = torch.tensor([a["irrep"] == trivial for a in rel.attributes_list()])
    R, E = _stacked(rel, pts)[mask], _stacked(eq, pts)
    r = torch.linalg.matrix_rank
    assert r(R) == r(E) == r(torch.cat([R, E])) == eq.dim


def test_peaked_lambda_has_the_rank_of_the_unconstrained_band_limited_basis():
    gs = rot2dOnR2(-1, maximum_frequency=2)
    ft = FieldType(gs, [gs.irrep(0), gs.irrep(1)])
    lam = partial.GroupLikelihood(gs, 1, output_band_limit=4).double()
    layer = partial.R2Conv(ft, ft, 5, likelihood=lam).double()
    _peak(lam)
    pts = 2.5 * (2 * torch.rand(300, 2, generator=torch.Generator().manual_seed(1), dtype=torch.float64) - 1)
    D = layer.basisexpansion.dimension
    eye = torch.eye(D, dtype=torch.float64)
    with torch.no_grad():
        relaxed = torch.stack([layer.basisexpansion.kernel(eye[i], pts).flatten() for i in range(D)])
        unconstrained = torch.stack([layer.basisexpansion.kernel(eye[i], pts, relaxed=False).flatten() for i in range(D)])
    r = torch.linalg.matrix_rank
    # the harmonics (frequencies <= 2 on 3 rings: 1 + 3 + 5 = 9 functions) times the 3 x 3 matrix
    # entries; every component has frequency <= 1 + 1 + 2 = 4, so band 4 is fully unconstrained
    M = sum(1 if k == 0 else 2 for kmax in layer.basis.spec.max_frequencies for k in range(kmax + 1))
    assert r(relaxed) == r(unconstrained) == ft.size * ft.size * M
    with torch.no_grad():
        lam.theta.zero_()
        lam.theta[0] = 1.0
        uniform = torch.stack([layer.basisexpansion.kernel(eye[i], pts).flatten() for i in range(D)])
    assert r(uniform) == GridKernelBasis(gs, ft.representation, ft.representation, 5).dim < r(relaxed)


def test_gradients_reach_theta_and_the_weights():
    gs, ft, layer = _layer(_so2, padding=2)
    x = GeometricTensor(torch.randn(2, ft.size, 9, 9, dtype=torch.float64), ft)
    layer(x).tensor.pow(2).sum().backward()
    assert layer.weights.grad.abs().sum() > 0
    # at uniform lambda d filter / d theta is non-zero: moving theta leaves the equivariant subspace
    assert layer.likelihood.theta.grad is not None and layer.likelihood.theta.grad.abs().sum() > 0


def test_shared_likelihood_is_one_parameter():
    gs, ft = _so2()
    bank = partial.LikelihoodSet(gs, band_limit=2)
    a = partial.R2Conv(ft, ft, 3, likelihood=bank.get("block"))
    b = partial.R2Conv(ft, ft, 3, likelihood=bank.get("block"))
    model = torch.nn.ModuleList([a, b])
    assert a.likelihood is b.likelihood
    assert sum(p is a.likelihood.theta for p in model.parameters()) == 1


def test_state_dict_export_and_eval_cache():
    gs, ft = _o2()
    lam = partial.GroupLikelihood(gs, 2)
    layer = partial.R2Conv(ft, ft, 5, padding=2, likelihood=lam)
    _peak(lam, 3.0)
    x = GeometricTensor(torch.randn(2, ft.size, 11, 11), ft)
    twin = partial.R2Conv(ft, ft, 5, padding=2, likelihood=partial.GroupLikelihood(gs, 2))
    twin.load_state_dict(layer.state_dict())
    assert "basisexpansion.likelihood.theta" in layer.state_dict()
    assert torch.allclose(twin(x).tensor, layer(x).tensor, atol=1e-6)
    assert torch.allclose(layer.export()(x.tensor), layer(x).tensor, atol=1e-5)
    layer.eval()
    with torch.no_grad():
        before = layer(x).tensor
        lam.theta.mul_(0.5)  # a new lambda must not reuse the cached filter
        after = layer(x).tensor
        layer.train()
        fresh = layer(x).tensor
    assert not torch.allclose(before, after) and torch.allclose(after, fresh, atol=1e-6)


def test_bad_input():
    gs, ft = _so2()
    with pytest.raises(ValueError, match="likelihood is on O\\(2\\)"):
        partial.R2Conv(ft, ft, 3, likelihood=partial.GroupLikelihood(flipRot2dOnR2(-1)))
    with pytest.raises(TypeError, match="GroupLikelihood"):
        partial.R2Conv(ft, ft, 3, likelihood="uniform")
    with pytest.raises(ValueError, match="basis_filter"):
        partial.R2Conv(ft, ft, 3, basis_filter=lambda a: True)
    with pytest.raises(ValueError, match="kernel_size"):
        partial.R2Conv(ft, ft, 0)
