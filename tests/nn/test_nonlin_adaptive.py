"""Adaptive sampling of the Fourier activations: exact equivariance for continuous groups at any grid size."""
from __future__ import annotations

import pytest
import torch

from test_nonlinearities import assert_export  # noqa: I001 (same test folder)

from steerable.gspaces import flipRot2dOnR2, flipRot3dOnR3, rot2dOnR2, rot3dOnR3
from steerable.nn.exported.adaptive import irrep_matrices
from steerable.nn import FieldType, FourierELU, FourierPointwise, GeometricTensor, QuotientFourierELU, R2Conv, SequentialModule

pytestmark = pytest.mark.filterwarnings("ignore:`torch.jit:DeprecationWarning")

GSPACES = {"SO2": lambda: rot2dOnR2(-1), "O2": lambda: flipRot2dOnR2(-1), "SO3": rot3dOnR3, "O3": flipRot3dOnR3}


def relative_error(layer, n_elements: int = 10, batch: int = 12, dtype=torch.float64, spatial=(), seed: int = 0) -> float:
    """max over random continuous g of |layer(rho(g) x) - rho_out(g) layer(x)| / max |layer(x)|.

    ``g`` acts on the fibres only (at every location), which is the whole action for a pointwise layer.
    """
    layer = layer.to(dtype)
    G = layer.in_type.fibergroup
    x = torch.randn(batch, layer.in_type.size, *spatial, dtype=dtype, generator=torch.Generator().manual_seed(seed))
    y = layer(GeometricTensor(x, layer.in_type)).tensor
    assert int(layer.fallback_count or 0) == 0  # random inputs: no norm below eps
    worst = 0.0
    for s in range(n_elements):
        g = G.sample(1000 + s)
        R_in = torch.as_tensor(layer.in_type.representation(g), dtype=dtype)
        R_out = torch.as_tensor(layer.out_type.representation(g), dtype=dtype)
        y_g = layer(GeometricTensor(torch.einsum("ij,bj...->bi...", R_in, x), layer.in_type)).tensor
        worst = max(worst, ((y_g - torch.einsum("ij,bj...->bi...", R_out, y)).abs().max() / y.abs().max()).item())
    return worst


@pytest.mark.parametrize("canonicalize", ["field", "location", "sample"])
@pytest.mark.parametrize("name,L", [("SO2", 1), ("SO2", 2), ("O2", 1), ("O2", 2), ("SO2", 4)])
def test_planar_adaptive_exact_for_every_N(name, L, canonicalize):
    for N in sorted({2 * L + 1, 2 * L + 2, 3 * L + 2, 16}):
        for cls in (FourierELU, FourierPointwise):
            layer = cls(GSPACES[name](), 3, L, N=N, sampling="adaptive", canonicalize=canonicalize)
            assert relative_error(layer, spatial=(2,)) <= 1e-9, (N, cls)
            assert relative_error(layer, dtype=torch.float32, spatial=(2,)) <= 1e-5, (N, cls)


@pytest.mark.parametrize("name,L,grids", [("SO3", 1, [24, 60, 120]), ("SO3", 2, [60, 120]), ("O3", 1, [12, 30, 60])])
def test_3d_adaptive_exact_on_the_grids(name, L, grids):
    for N in grids:
        layer = FourierELU(GSPACES[name](), 2, L, grid_kind="thomson", N=N, sampling="adaptive")
        assert len(layer.grid) in (24, 60, 120)
        assert relative_error(layer, n_elements=6) <= 1e-9
        assert relative_error(layer, n_elements=6, dtype=torch.float32) <= 1e-5


def test_so3_l2_below_the_minimum_grid_is_refused():
    with pytest.raises(ValueError, match="cannot determine|Nyquist"):
        FourierELU(rot3dOnR3(), 2, 2, grid_kind="thomson", N=24, sampling="adaptive")  # 24 samples, 35 coefficients


@pytest.mark.parametrize("name", ["SO2", "O2"])
def test_fixed_grid_error_at_the_minimum_and_falling_with_N(name):
    L = 2
    errors = [relative_error(FourierELU(GSPACES[name](), 4, L, N=N), n_elements=12, batch=64) for N in (5, 10, 20, 40)]
    assert errors[0] >= 1e-2
    assert all(b < a for a, b in zip(errors, errors[1:])), errors


@pytest.mark.parametrize("name", ["SO2", "O2", "SO3", "O3"])
def test_identity_canonicalizer_is_the_fixed_layer(name):
    kw = {"N": 5} if name in ("SO2", "O2") else {"grid_kind": "thomson", "N": 24}
    adaptive = FourierELU(GSPACES[name](), 3, 1 if "3" in name else 2, sampling="adaptive", **kw)
    fixed = FourierELU(GSPACES[name](), 3, 1 if "3" in name else 2, **kw)
    adaptive.adaptive.canonicalizer.identity = True
    x = GeometricTensor(torch.randn(4, fixed.in_type.size, 3), fixed.in_type)
    assert torch.equal(adaptive(x).tensor, fixed(x).tensor)
    # and the irreps of the identity frame, built as products, are the identity
    a = adaptive.adaptive
    eye = torch.eye(a.canonicalizer.n, dtype=torch.float64).unsqueeze(-1)
    for m in irrep_matrices(eye, a.slot_a, a.slot_b, a.dims, a.P_all):
        torch.testing.assert_close(m[..., 0], torch.eye(m.shape[-2], dtype=torch.float64), atol=1e-13, rtol=0)


@pytest.mark.parametrize("name", ["SO2", "O2", "SO3"])
def test_gradients_match_finite_differences(name):
    kw = {"N": 5} if name in ("SO2", "O2") else {"grid_kind": "thomson", "N": 24}
    layer = FourierELU(GSPACES[name](), 2, 1, sampling="adaptive", learnable_head=True, **kw).double()
    x = torch.randn(3, layer.in_type.size, dtype=torch.float64, generator=torch.Generator().manual_seed(3))
    x.requires_grad_(True)
    f = lambda t: layer(GeometricTensor(t, layer.in_type)).tensor  # noqa: E731
    assert torch.autograd.gradcheck(f, (x,), eps=1e-6, atol=1e-5)
    layer(GeometricTensor(x, layer.in_type)).tensor.square().sum().backward()
    assert layer.adaptive.canonicalizer.weight.grad.abs().sum() > 0


@pytest.mark.parametrize("name", ["SO2", "O2"])
def test_fallback_exactly_below_eps(name):
    eps = 1e-3
    layer = FourierELU(GSPACES[name](), 6, 2, N=5, sampling="adaptive", eps=eps).double()
    fixed = FourierELU(GSPACES[name](), 6, 2, N=5).double()
    D = layer.rho.size
    x = torch.randn(2, 6, D, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    offsets = layer.adaptive.canonicalizer.vec_offsets
    o = offsets[0]
    # fields (0, 0) and (1, 3) just below eps, field (0, 1) just above: the threshold decides
    for (b, c), scale in {(0, 0): 0.999, (1, 3): 0.5, (0, 1): 1.001}.items():
        v = x[b, c, o: o + 2]
        x[b, c, o: o + 2] = v / v.norm() * eps * scale
    xt = GeometricTensor(x.reshape(2, -1), layer.in_type)
    y, y_fixed = layer(xt).tensor.reshape(2, 6, -1), fixed(xt).tensor.reshape(2, 6, -1)
    assert int(layer.fallback_count) == 2 and int(layer.adaptive.last_frames) == 12
    fell_back = torch.zeros(2, 6, dtype=torch.bool)
    fell_back[0, 0] = fell_back[1, 3] = True
    same = (y - y_fixed).abs().amax(-1) < 1e-12
    assert torch.equal(same, fell_back)


def test_bad_input_names_what_is_allowed():
    gs = rot2dOnR2(-1)
    with pytest.raises(ValueError, match="sampling must be one of"):
        FourierELU(gs, 2, 2, sampling="random")
    with pytest.raises(ValueError, match="canonicalize must be one of"):
        FourierELU(gs, 2, 2, sampling="adaptive", canonicalize="image")
    with pytest.raises(ValueError, match="cannot determine|Nyquist"):
        FourierELU(gs, 2, 2, N=4, sampling="adaptive")
    with pytest.raises(ValueError, match="frequency-1"):
        FourierELU(gs, 2, [0, 2], N=8, sampling="adaptive")
    with pytest.raises(ValueError, match="adaptive sampling is defined for"):
        FourierELU(rot2dOnR2(8), 2, 2, sampling="adaptive")
    with pytest.raises(ValueError, match="eps must be"):
        FourierELU(gs, 2, 2, sampling="adaptive", eps=0.0)
    layer = FourierELU(gs, 2, 2, sampling="adaptive")
    with pytest.raises((TypeError, ValueError)):
        layer(GeometricTensor(torch.randn(2, 10), FieldType(gs, 10 * [gs.trivial_repr])))


def test_fixed_default_unchanged():
    layer = FourierELU(rot2dOnR2(-1), 2, 2)
    assert layer.adaptive is None and layer.fallback_count is None and layer.N == 20
    assert list(layer.state_dict()) == []


@pytest.mark.parametrize("canonicalize", ["field", "sample"])
def test_sphere_and_circle_quotients(canonicalize):
    # S^2 = SO(3)/SO(2): one l=1 copy per field, the second frame vector from the l=2 coefficients
    sphere = QuotientFourierELU(rot3dOnR3(), (False, -1), 2, 2, grid_kind="thomson", N=40, sampling="adaptive",
                                canonicalize=canonicalize)
    assert sphere.adaptive.canonicalizer.quad_offset >= 0
    assert relative_error(sphere, n_elements=6) <= 1e-9
    assert relative_error(sphere, n_elements=6, dtype=torch.float32) <= 1e-5
    # circle = O(2)/flips: no pseudo-scalar coefficient, the parity is det[v, T v]
    circle = QuotientFourierELU(flipRot2dOnR2(-1), (0.0, 1), 3, 3, N=8, sampling="adaptive", canonicalize=canonicalize)
    assert circle.adaptive.canonicalizer.pseudo_from_vectors
    assert relative_error(circle) <= 1e-9
    assert relative_error(circle, dtype=torch.float32) <= 1e-5


def _network(sampling: str) -> SequentialModule:
    gs = rot2dOnR2(-1, maximum_frequency=4)
    nl = FourierELU(gs, 3, 2, N=5, sampling=sampling)
    t_in = FieldType(gs, [gs.trivial_repr])
    return SequentialModule(R2Conv(t_in, nl.in_type, 5, padding=2), nl, R2Conv(nl.out_type, t_in, 5, padding=2))


def test_inside_r2conv_network_train_and_eval():
    torch.manual_seed(0)
    net = _network("adaptive")
    net.check_equivariance(atol=1e-4, rtol=1e-4)  # the grid rotations, where the convolutions are exact too
    x = GeometricTensor(torch.randn(2, 1, 9, 9), net.in_type)
    net.train()
    y_train = net(x).tensor
    net.eval()
    assert torch.equal(net(x).tensor, y_train)
    y_train.square().sum().backward()
    assert all(p.grad is not None for p in net.parameters())


def test_torch_compile_matches_eager():
    import torch._dynamo as dynamo

    layer = FourierELU(rot2dOnR2(-1), 3, 2, N=5, sampling="adaptive", canonicalize="location")
    x = torch.randn(2, layer.in_type.size, 4, 4)
    f = lambda t: layer(GeometricTensor(t, layer.in_type)).tensor  # noqa: E731
    dynamo.reset()
    try:
        torch.testing.assert_close(torch.compile(f, backend="aot_eager")(x), f(x), atol=1e-6, rtol=1e-6)
    finally:
        dynamo.reset()


@pytest.mark.parametrize("name,head", [("SO2", False), ("O2", True), ("SO3", False), ("O3", True)])
def test_export_is_torch_only_and_scriptable(name, head):
    kw = {"N": 5} if name in ("SO2", "O2") else {"grid_kind": "thomson", "N": 24}
    layer = FourierELU(GSPACES[name](), 2, 1 if "3" in name else 2, sampling="adaptive", learnable_head=head, **kw)
    assert_export(layer, spatial=3)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
@pytest.mark.parametrize("name", ["SO2", "O3"])
def test_cuda_matches_cpu_and_stays_exact(name):
    kw = {"N": 5} if name == "SO2" else {"grid_kind": "thomson", "N": 12}
    layer = FourierELU(GSPACES[name](), 3, 1 if name == "O3" else 2, sampling="adaptive", **kw)
    x = torch.randn(4, layer.in_type.size, 3)
    y_cpu = layer(GeometricTensor(x, layer.in_type)).tensor
    layer = layer.cuda()
    y = layer(GeometricTensor(x.cuda(), layer.in_type)).tensor
    torch.testing.assert_close(y.cpu(), y_cpu, atol=1e-5, rtol=1e-5)
    G = layer.in_type.fibergroup
    g = G.sample(3)
    R_in = torch.as_tensor(layer.in_type.representation(g), dtype=torch.float32, device="cuda")
    R_out = torch.as_tensor(layer.out_type.representation(g), dtype=torch.float32, device="cuda")
    y_g = layer(GeometricTensor(torch.einsum("ij,bj...->bi...", R_in, x.cuda()), layer.in_type)).tensor
    assert ((y_g - torch.einsum("ij,bj...->bi...", R_out, y)).abs().max() / y.abs().max()).item() <= 1e-5
