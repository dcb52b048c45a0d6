"""Implicit (MLP) steerable kernels: k(A(g) x, g e) = rho_out(g) k(x, e) rho_in(g)^T to 1e-9 in
float64 for random g and x, and the convolutions built on them."""
import numpy as np
import pytest
import torch

from steerable.gspaces import flipRot2dOnR2, flipRot3dOnR3, no_base_space, octaOnR3, rot2dOnR2, rot2dOnR3, rot3dOnR3
from steerable.nn import FieldType, GeometricTensor, ImplicitKernel, ImplicitPointConv, ImplicitR2Conv, ImplicitR3Conv, knn_graph

GSPACES = {
    "C4": lambda: rot2dOnR2(4), "C8": lambda: rot2dOnR2(8), "D4": lambda: flipRot2dOnR2(4),
    "SO2": lambda: rot2dOnR2(-1, 3), "O2": lambda: flipRot2dOnR2(-1, 3), "SO3": lambda: rot3dOnR3(2),
    "O3": lambda: flipRot3dOnR3(2), "D6<O2": lambda: flipRot2dOnR2(6), "C4z<O3": lambda: rot2dOnR3(4),
    "SO2z<O3": lambda: rot2dOnR3(-1, maximum_frequency=2), "Octa<O3": lambda: octaOnR3(),
}


def _types(gs):
    irreps = [r for r in gs.irreps if r.size <= 3][:3]
    reps = [gs.trivial_repr] + irreps
    G = gs.fibergroup
    if not G.continuous and G.order() <= 8:
        reps.append(G.regular_representation)
    return FieldType(gs, reps), FieldType(gs, irreps[::-1] + reps[-1:])


def _mats(gs, t_in, t_out, g, dtype=torch.float64):
    return (torch.tensor(gs.basespace_action(g), dtype=dtype), torch.tensor(t_in.fiber_matrix(g), dtype=dtype),
            torch.tensor(t_out.fiber_matrix(g), dtype=dtype))


@pytest.mark.parametrize("name", list(GSPACES))
def test_kernel_steerable_float64(name):
    gs = GSPACES[name]()
    torch.manual_seed(0)
    t_in, t_out = _types(gs)
    k = ImplicitKernel(gs, t_in, t_out, L=3).double()
    with torch.no_grad():  # random batch-norm statistics, so eval mode is a generic affine map
        for m in k.modules():
            if hasattr(m, "running_var"):
                m.running_var.uniform_(0.5, 2.0)
    k.eval()
    x = torch.randn(16, gs.dimensionality, dtype=torch.float64)
    K = k(x)
    assert K.abs().max() > 1e-3
    for seed in range(4):
        g = gs.fibergroup.sample(np.random.default_rng(seed))
        A, Ri, Ro = _mats(gs, t_in, t_out, g)
        err = (k(x @ A.T) - Ro @ K @ Ri.T).abs().max() / K.abs().max()
        assert err < 1e-9, (name, seed, float(err))
    if gs.fibergroup.continuous:  # the check can fail: a kernel of the wrong group breaks it
        A, Ri, Ro = _mats(gs, t_in, t_out, gs.fibergroup.sample(np.random.default_rng(9)))
        assert (k(x @ A.T) - K).abs().max() > 1e-6


def test_kernel_with_edge_attributes():
    gs = rot3dOnR3(2)
    G0 = no_base_space(gs.fibergroup)
    t = FieldType(gs, [gs.trivial_repr, gs.irrep(1)])
    for reps in ([G0.trivial_repr] * 3, [G0.trivial_repr, gs.fibergroup.irrep(1)]):
        et = FieldType(G0, reps)
        k = ImplicitKernel(gs, t, t, edge_attr_type=et).double().eval()
        x = torch.randn(10, 3, dtype=torch.float64)
        e = torch.randn(10, et.size, dtype=torch.float64)
        K = k(x, GeometricTensor(e, et))
        K2 = k(x, GeometricTensor(torch.randn_like(e), et))
        assert (K - K2).abs().max() > 1e-6  # the attributes matter
        g = gs.fibergroup.sample(np.random.default_rng(3))
        A, R, _ = _mats(gs, t, t, g)
        Re = torch.tensor(et.fiber_matrix(g))
        err = (k(x @ A.T, GeometricTensor(e @ Re.T, et)) - R @ K @ R.T).abs().max() / K.abs().max()
        assert err < 1e-9


@pytest.mark.parametrize("name", ["O2", "SO3", "D6<O2"])
def test_implicit_point_conv_equivariant(name):
    gs = GSPACES[name]()
    torch.manual_seed(1)
    t_in, t_out = _types(gs)
    d = gs.dimensionality
    conv = ImplicitPointConv(t_in, t_out).eval()
    pos, f = torch.randn(30, d), torch.randn(30, t_in.size)
    ei = knn_graph(pos, 6)
    y = conv(GeometricTensor(f, t_in, pos), ei).tensor
    for seed in range(2):
        A, Ri, Ro = _mats(gs, t_in, t_out, gs.fibergroup.sample(np.random.default_rng(seed)), torch.float32)
        y_g = conv(GeometricTensor(f @ Ri.T, t_in, pos @ A.T + 3.0), ei).tensor
        assert (y_g - y @ Ro.T).abs().max() / y.abs().max() < 1e-5
    perm = torch.randperm(30)
    y_p = conv(GeometricTensor(f[perm], t_in, pos[perm]), torch.argsort(perm)[ei]).tensor
    assert torch.allclose(y_p, y[perm], atol=1e-5)


def test_implicit_grid_convs_equivariant_on_grid():
    gs = rot2dOnR2(4)
    t = FieldType(gs, [gs.regular_repr, gs.trivial_repr])
    conv = ImplicitR2Conv(t, t, 5, padding=2).eval()
    x = torch.randn(2, t.size, 11, 11)
    for g in gs.testing_elements:
        a = conv(GeometricTensor(x, t).transform(g)).tensor
        b = conv(GeometricTensor(x, t)).transform(g).tensor
        assert torch.allclose(a, b, atol=1e-5)
    gs3 = octaOnR3()
    t3 = FieldType(gs3, [gs3.trivial_repr, gs3.irrep(1)])
    c3 = ImplicitR3Conv(t3, t3, 3, padding=1).eval()
    x3 = GeometricTensor(torch.randn(1, t3.size, 5, 5, 5), t3)
    for g in gs3.testing_elements[:6]:
        assert torch.allclose(c3(x3.transform(g)).tensor, c3(x3).transform(g).tensor, atol=1e-5)


def test_errors():
    gs = rot3dOnR3(2)
    t = FieldType(gs, [gs.trivial_repr, gs.irrep(1)])
    with pytest.raises(ValueError, match="representation of"):
        ImplicitKernel(gs, rot2dOnR2(4).irrep(1), t)
    with pytest.raises(ValueError, match="raise L"):
        ImplicitKernel(gs, FieldType(gs, [gs.irrep(2)]), FieldType(gs, [gs.trivial_repr]), L=1)
    k = ImplicitKernel(gs, t, t, edge_attr_type=FieldType(no_base_space(gs.fibergroup), [gs.trivial_repr]))
    with pytest.raises(ValueError, match=r"shape \(E, 3\)"):
        k(torch.randn(4, 2))
    with pytest.raises(ValueError, match="edge_attr must be"):
        k(torch.randn(4, 3))
    wrong = FieldType(no_base_space(gs.fibergroup), [gs.irrep(1)])
    with pytest.raises(ValueError, match="edge_attr must be a GeometricTensor of type"):
        k(torch.randn(4, 3), GeometricTensor(torch.randn(4, 3), wrong))
    with pytest.raises(ValueError, match="no_base_space"):
        ImplicitKernel(gs, t, t, edge_attr_type=t)
    with pytest.raises(ValueError, match="n_layers"):
        ImplicitKernel(gs, t, t, n_layers=1)


@pytest.mark.parametrize("name, tol", [("C4", 1e-9), ("O2", 2e-2), ("O3", 5e-2)])
def test_fourier_nonlinearity_kernel(name, tol):
    """The paper's FourierELU MLP: exact where the group grid holds the elements (C4 < O(2) on the
    regular grid), approximate otherwise (measured here: O(2) 7.3e-3, O(3) 2.7e-2 relative)."""
    gs = GSPACES[name]()
    torch.manual_seed(0)
    t_in, t_out = _types(gs)
    k = ImplicitKernel(gs, t_in, t_out, nonlinearity="fourier").double().eval()
    x = torch.randn(16, gs.dimensionality, dtype=torch.float64)
    with torch.no_grad():
        K = k(x)
        errs = []
        for seed in range(3):
            A, Ri, Ro = _mats(gs, t_in, t_out, gs.fibergroup.sample(np.random.default_rng(seed)))
            errs.append(float((k(x @ A.T) - Ro @ K @ Ri.T).abs().max() / K.abs().max()))
    print(name, "max relative steerability error", max(errs))
    assert max(errs) < tol, errs
    with pytest.raises(ValueError, match="nonlinearity"):
        ImplicitKernel(gs, t_in, t_out, nonlinearity="relu")
