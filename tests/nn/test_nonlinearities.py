"""Equivariance, export, gradients and errors of the nonlinearity modules (not the Fourier ones)."""
from __future__ import annotations

import ast
import io
from functools import cache
from pathlib import Path

import pytest
import torch

import steerable.nn.exported.activations as exported_mod
from steerable.group import directsum
from steerable.gspaces import flipRot2dOnR2, flipRot3dOnR3, rot2dOnR2, rot3dOnR3
from steerable.nn import (
    ELU, ConcatenatedNonLinearity, EquivarianceError, EquivariantModule, FieldType, GatedNonLinearity1,
    GeometricTensor, LeakyReLU, NormNonLinearity, PointwiseNonLinearity, ReLU, TensorProductModule,
)

# TorchScript is deprecated in recent torch but is the quickest standalone round trip; torch.export is
# exercised separately in test_torch_export_round_trip
pytestmark = pytest.mark.filterwarnings("ignore:`torch.jit:DeprecationWarning")

GSPACE_MAKERS = {
    "C1": lambda: rot2dOnR2(1), "C2": lambda: rot2dOnR2(2), "C3": lambda: rot2dOnR2(3), "C4": lambda: rot2dOnR2(4),
    "C8": lambda: rot2dOnR2(8), "C16": lambda: rot2dOnR2(16), "D4": lambda: flipRot2dOnR2(4, axis=0.0),
    "D8": lambda: flipRot2dOnR2(8, axis=0.0), "SO2": lambda: rot2dOnR2(-1), "O2": lambda: flipRot2dOnR2(-1, axis=0.0),
    "SO3": lambda: rot3dOnR3(), "O3": lambda: flipRot3dOnR3(),
}
PLANAR = [k for k in GSPACE_MAKERS if k not in ("SO3", "O3")]
ALL = list(GSPACE_MAKERS)


@cache
def gspace(name: str):
    return GSPACE_MAKERS[name]()


def perm_reps(gs) -> list:
    """Permutation representations: regular, trivial and a quotient where there is one."""
    G = gs.fibergroup
    if G.continuous:
        return [gs.trivial_repr, gs.trivial_repr]
    reps = [gs.regular_repr, gs.trivial_repr]
    if G.name.startswith("C") and G.order() % 2 == 0 and G.order() > 2:
        reps.append(gs.quotient_repr(G.order() // 2))
    if G.name.startswith("D"):
        reps.append(gs.quotient_repr((0, 1)))
    return reps


def mixed_reps(gs) -> list:
    """Non-trivial irreps plus the permutation representations."""
    return [psi for psi in gs.irreps[1:4]] + perm_reps(gs)


def fibre_elements(G, n: int = 6) -> list:
    return G.elements if not G.continuous else [G.sample(s) for s in range(n)]


def check_layer(layer: EquivariantModule, atol: float = 1e-5, rtol: float = 1e-5, dtype=torch.float32) -> None:
    """Grid-exact elements on spatial inputs, and every element (or random ones) on fibres only."""
    d = layer.in_type.gspace.dimensionality
    g = torch.Generator().manual_seed(1)
    xs = torch.randn(2, layer.in_type.size, *[5 if d == 3 else 7] * d, generator=g, dtype=dtype)
    layer.check_equivariance(x=xs, atol=atol, rtol=rtol)
    xf = torch.randn(16, layer.in_type.size, generator=g, dtype=dtype)
    layer.check_equivariance(x=xf, elements=fibre_elements(layer.in_type.fibergroup), atol=atol, rtol=rtol)


def assert_export(layer: EquivariantModule, scriptable: bool = True, spatial: int = 4) -> None:
    """export() gives identical outputs from modules that only use torch (and survive TorchScript)."""
    d = layer.in_type.gspace.dimensionality
    x = torch.randn(3, layer.in_type.size, *[spatial] * d, generator=torch.Generator().manual_seed(2))
    layer.eval()
    m = layer.export()
    for sub in m.modules():
        mod = type(sub).__module__
        assert mod.startswith("torch.") or mod.startswith("steerable.nn.exported."), mod
    y = layer(GeometricTensor(x, layer.in_type)).tensor
    torch.testing.assert_close(m(x), y, atol=1e-5, rtol=1e-5)
    assert layer.evaluate_output_shape(tuple(x.shape)) == tuple(y.shape)
    if scriptable:
        buf = io.BytesIO()
        torch.jit.save(torch.jit.script(m), buf)
        buf.seek(0)
        torch.testing.assert_close(torch.jit.load(buf)(x), y, atol=1e-5, rtol=1e-5)


def test_exported_files_import_only_torch():
    files = sorted(Path(exported_mod.__file__).parent.glob("*.py"))
    assert len(files) >= 3
    for f in files:
        tree = ast.parse(f.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                assert all(a.name.split(".")[0] in ("torch", "math") for a in node.names), f
            elif isinstance(node, ast.ImportFrom):
                # relative imports stay inside the exported package (a sibling file of it)
                ok = node.level == 1 or node.module.split(".")[0] in ("torch", "typing", "__future__", "math")
                assert ok, (f.name, node.module)


# ------------------------------------------------------------------------------------------ pointwise
POINTWISE = {
    "relu": lambda t: ReLU(t), "elu": lambda t: ELU(t, alpha=0.7), "leaky": lambda t: LeakyReLU(t, 0.1),
    "sigmoid": lambda t: PointwiseNonLinearity(t, "p_sigmoid"), "tanh": lambda t: PointwiseNonLinearity(t, "p_tanh"),
    "callable": lambda t: PointwiseNonLinearity(t, torch.nn.functional.softplus),
}


@pytest.mark.parametrize("name", ALL)
@pytest.mark.parametrize("fn", list(POINTWISE))
def test_pointwise_nonlinearity_equivariant(name, fn):
    gs = gspace(name)
    layer = POINTWISE[fn](FieldType(gs, perm_reps(gs)))
    check_layer(layer)
    assert layer.out_type == layer.in_type
    assert_export(layer, scriptable=fn != "callable")


def test_pointwise_nonlinearity_values_and_inplace():
    gs = gspace("C4")
    t = FieldType(gs, [gs.regular_repr])
    x = torch.tensor([[-1.0, 2.0, -3.0, 4.0]])
    assert torch.equal(ReLU(t)(GeometricTensor(x, t)).tensor, torch.relu(x))
    assert torch.allclose(LeakyReLU(t, 0.5)(GeometricTensor(x, t)).tensor, torch.tensor([[-0.5, 2.0, -1.5, 4.0]]))
    x2 = x.clone()
    ReLU(t, inplace=True)(GeometricTensor(x2, t))
    assert torch.equal(x2, torch.relu(x))
    with pytest.raises(ValueError, match="p_relu"):
        PointwiseNonLinearity(t, "relu")
    with pytest.raises(TypeError):
        PointwiseNonLinearity(t, 3)


@pytest.mark.parametrize("name", [k for k in ALL if k != "C1"])
def test_pointwise_rejects_non_permutation_fields(name):
    gs = gspace(name)
    psi = gs.irreps[1]
    t = FieldType(gs, [gs.trivial_repr, psi])
    for make in (ReLU, ELU, LeakyReLU, PointwiseNonLinearity):
        with pytest.raises(ValueError, match=f"field 1 .*{psi.name}"):
            make(t)
    if not gs.fibergroup.continuous:  # the Fourier basis of the regular representation is not a permutation
        with pytest.raises(ValueError, match="regular_"):
            ReLU(FieldType(gs, [gs.fibergroup.bl_regular_representation(1)]))


# ------------------------------------------------------------------------------------------ norm
@pytest.mark.parametrize("name", ALL)
@pytest.mark.parametrize("function", ["n_relu", "n_sigmoid", "squash"])
def test_norm_nonlinearity_equivariant(name, function):
    gs = gspace(name)
    layer = NormNonLinearity(FieldType(gs, mixed_reps(gs)), function)
    if layer.bias is not None:
        with torch.no_grad():
            layer.bias.normal_(0, 1, generator=torch.Generator().manual_seed(3))
    check_layer(layer)
    assert_export(layer)


def test_norm_nonlinearity_values():
    gs = gspace("SO2")
    t = FieldType(gs, [gs.irrep(1), gs.trivial_repr])
    x = GeometricTensor(torch.tensor([[3.0, 4.0, -2.0]]), t)
    nl = NormNonLinearity(t, "n_relu")
    with torch.no_grad():
        nl.bias.copy_(torch.tensor([-4.0, -3.0]))
    torch.testing.assert_close(nl(x).tensor, torch.tensor([[0.6, 0.8, 0.0]]))
    nl = NormNonLinearity(t, "n_sigmoid", bias=False)
    assert nl.bias is None
    torch.testing.assert_close(nl(x).tensor, x.tensor * torch.sigmoid(torch.tensor([[5.0, 5.0, 2.0]])))
    nl = NormNonLinearity(t, "squash")
    assert nl.bias is None
    torch.testing.assert_close(nl(x).tensor, x.tensor * torch.tensor([[5 / 26, 5 / 26, 2 / 5]]))
    with pytest.raises(ValueError, match="n_relu"):
        NormNonLinearity(t, "relu")


@pytest.mark.parametrize("function", ["n_relu", "n_sigmoid", "squash"])
@pytest.mark.parametrize("b", [-0.5, 0.0, 0.5])
def test_norm_nonlinearity_safe_at_zero(function, b):
    gs = gspace("C8")
    t = FieldType(gs, [gs.irrep(1), gs.regular_repr, gs.irrep(2)])
    nl = NormNonLinearity(t, function)
    if nl.bias is not None:
        with torch.no_grad():
            nl.bias.fill_(b)
    x = torch.randn(4, t.size, 3, 3)
    x[:, :2] = 0.0  # a whole field at zero
    x[0] = 0.0
    x.requires_grad_(True)
    y = nl(GeometricTensor(x, t)).tensor
    y.square().sum().backward()
    assert torch.isfinite(y).all() and torch.isfinite(x.grad).all()
    assert (y[:, :2] == 0).all()
    if nl.bias is not None:
        assert torch.isfinite(nl.bias.grad).all()


# ------------------------------------------------------------------------------------------ gated
@pytest.mark.parametrize("name", ALL)
@pytest.mark.parametrize("drop_gates", [True, False])
def test_gated_nonlinearity_equivariant(name, drop_gates):
    gs = gspace(name)
    gated = mixed_reps(gs)
    # interleave: gate, gated, gate, gated, ... with the remaining gates at the end
    reps, labels = [], []
    for r in gated[: len(gated) // 2]:
        reps += [gs.trivial_repr, r]
        labels += ["gate", "gated"]
    for r in gated[len(gated) // 2:]:
        reps.append(r)
        labels.append("gated")
    reps += [gs.trivial_repr] * (len(gated) - len(gated) // 2)
    labels += ["gate"] * (len(gated) - len(gated) // 2)
    layer = GatedNonLinearity1(FieldType(gs, reps), gates=labels, drop_gates=drop_gates)
    with torch.no_grad():
        layer.bias.normal_(0, 1, generator=torch.Generator().manual_seed(4))
    assert layer.out_type == (FieldType(gs, gated) if drop_gates else layer.in_type)
    check_layer(layer)
    assert_export(layer)


def test_gated_nonlinearity_values_and_layout():
    gs = gspace("C4")
    t = FieldType(gs, [gs.trivial_repr, gs.trivial_repr, gs.irrep(1), gs.regular_repr])  # default: 2 gates first
    layer = GatedNonLinearity1(t)
    with torch.no_grad():
        layer.bias.copy_(torch.tensor([0.5, -1.0]))
    x = torch.randn(5, t.size)
    s = torch.sigmoid(x[:, :2] + layer.bias.detach())
    y = layer(GeometricTensor(x, t)).tensor
    torch.testing.assert_close(y, torch.cat([x[:, 2:4] * s[:, :1], x[:, 4:] * s[:, 1:]], 1))
    keep = GatedNonLinearity1(t, drop_gates=False)
    with torch.no_grad():
        keep.bias.copy_(layer.bias)
    torch.testing.assert_close(keep(GeometricTensor(x, t)).tensor, torch.cat([s, y], 1))
    assert GatedNonLinearity1(t, bias=False).bias is None


def test_gated_nonlinearity_errors():
    gs = gspace("C4")
    t = FieldType(gs, [gs.trivial_repr, gs.irrep(1)])
    with pytest.raises(ValueError, match="one label per field"):
        GatedNonLinearity1(t, gates=["gate"])
    with pytest.raises(ValueError, match="'gate' or 'gated'"):
        GatedNonLinearity1(t, gates=["gate", "gatted"])
    with pytest.raises(ValueError, match="trivial"):
        GatedNonLinearity1(t, gates=["gated", "gate"])
    with pytest.raises(ValueError, match="as many gates"):
        GatedNonLinearity1(FieldType(gs, [gs.trivial_repr] * 3), gates=["gate", "gate", "gated"])
    with pytest.raises(ValueError, match="even number"):
        GatedNonLinearity1(FieldType(gs, [gs.trivial_repr] * 3))


# ------------------------------------------------------------------------------------------ concatenated
def signed_perm_reps(gs) -> list:
    G = gs.fibergroup
    out = []
    if G.name in ("C2", "C4"):
        out.append(gs.irrep(1))  # sign; rotation by 90 degrees
    if G.name.startswith("D") or G.name == "O(2)":
        out.append(gs.irrep(1, 0))  # determinant
    return out


@pytest.mark.parametrize("name", PLANAR)
@pytest.mark.parametrize("function", ["c_relu", "c_elu", "c_tanh"])
def test_concatenated_nonlinearity_equivariant(name, function):
    gs = gspace(name)
    layer = ConcatenatedNonLinearity(FieldType(gs, perm_reps(gs) + signed_perm_reps(gs)), function)
    assert layer.out_type.size == 2 * layer.in_type.size
    assert all(r.is_permutation for r in layer.out_type.representations)
    check_layer(layer)
    assert_export(layer)


def test_concatenated_nonlinearity_layout():
    gs = gspace("C4")
    t = FieldType(gs, [gs.trivial_repr, gs.regular_repr, gs.irrep(1)])
    layer = ConcatenatedNonLinearity(t)
    assert layer.out_type.representations[:4] == [gs.trivial_repr, gs.trivial_repr, gs.regular_repr, gs.regular_repr]
    sigma = layer.out_type.representations[4]
    assert sigma.size == 4 and sorted(sigma.irrep_ids) == sorted(gs.regular_repr.irrep_ids)  # ~ regular of C4
    x = torch.randn(3, t.size)
    r = torch.relu
    expected = torch.cat([r(x[:, :1]), r(-x[:, :1]), r(x[:, 1:5]), r(-x[:, 1:5]), r(x[:, 5:]), r(-x[:, 5:])], 1)
    torch.testing.assert_close(layer(GeometricTensor(x, t)).tensor, expected)


def test_concatenated_nonlinearity_rejects():
    gs = gspace("C8")
    with pytest.raises(ValueError, match="irrep_1"):
        ConcatenatedNonLinearity(FieldType(gs, [gs.regular_repr, gs.irrep(1)]))
    with pytest.raises(ValueError, match="c_relu"):
        ConcatenatedNonLinearity(FieldType(gs, [gs.regular_repr]), "p_relu")


# ------------------------------------------------------------------------------------------ tensor product
def tp_types(name: str):
    gs = gspace(name)
    G = gs.fibergroup
    if name == "SO2":
        field = directsum([gs.irrep(0), gs.irrep(1)])
        return FieldType(gs, [field, gs.irrep(2)]), FieldType(gs, [gs.irrep(0), gs.irrep(1), gs.irrep(2)])
    if name == "SO3":
        field = directsum([gs.irrep(0), gs.irrep(1)])
        return FieldType(gs, [field, gs.irrep(1)]), FieldType(gs, [gs.irrep(0), gs.irrep(1), gs.irrep(2)])
    if not G.continuous:
        return FieldType(gs, [gs.regular_repr, gs.trivial_repr]), FieldType(gs, [gs.regular_repr] + gs.irreps[:2])
    raise KeyError(name)


@pytest.mark.parametrize("name", ["C1", "C3", "C4", "D4", "SO2", "SO3"])
def test_tensor_product_module_equivariant(name):
    t_in, t_out = tp_types(name)
    layer = TensorProductModule(t_in, t_out)
    with torch.no_grad():  # non-zero biases, so the linear terms are exercised too
        layer.projection.bias.normal_()
        layer.linear.bias.normal_()
    check_layer(layer, atol=1e-5, rtol=3e-5)
    assert_export(layer)


def test_tensor_product_module_is_quadratic_and_rejects_unreachable_outputs():
    gs = gspace("SO2")
    t = FieldType(gs, [gs.irrep(1)])
    layer = TensorProductModule(t, FieldType(gs, [gs.irrep(0), gs.irrep(2)]), bias=False)
    x = torch.randn(4, 2)
    y1, y2 = layer(GeometricTensor(x, t)).tensor, layer(GeometricTensor(2 * x, t)).tensor
    torch.testing.assert_close(y2, 4 * y1)
    with pytest.raises(ValueError, match="tensor squares"):
        TensorProductModule(t, FieldType(gs, [gs.irrep(1)]))  # irrep_1 (x) irrep_1 = irrep_0 + irrep_2
    with pytest.raises(ValueError, match="share a gspace"):
        TensorProductModule(t, FieldType(gspace("C4"), [gspace("C4").trivial_repr]))


# ------------------------------------------------------------------------------------------ common behaviour
def all_layers(name: str = "C4") -> list[EquivariantModule]:
    gs = gspace(name)
    t = FieldType(gs, [gs.regular_repr, gs.trivial_repr])
    m = FieldType(gs, [gs.trivial_repr, gs.irrep(1), gs.regular_repr, gs.trivial_repr])
    return [ReLU(t), ELU(t), LeakyReLU(t), NormNonLinearity(m), GatedNonLinearity1(m, ["gate", "gated", "gated", "gate"]),
            ConcatenatedNonLinearity(t), TensorProductModule(t, m)]


def test_gradients_flow_to_inputs_and_parameters():
    for layer in all_layers():
        x = torch.randn(2, layer.in_type.size, 5, 5, requires_grad=True)
        layer(GeometricTensor(x, layer.in_type)).tensor.square().sum().backward()
        assert x.grad is not None and x.grad.abs().sum() > 0, type(layer).__name__
        for name, p in layer.named_parameters():
            assert p.grad is not None and torch.isfinite(p.grad).all() and p.grad.abs().sum() > 0, name


def test_float64():
    for layer in all_layers():
        layer = layer.double()
        x = torch.randn(2, layer.in_type.size, 5, 5, dtype=torch.float64)
        y = layer(GeometricTensor(x, layer.in_type))
        assert y.dtype == torch.float64
        # the Linear bases of TensorProductModule are float32-accurate; everything else is exact
        tol = 1e-6 if isinstance(layer, TensorProductModule) else 1e-12
        check_layer(layer, atol=tol, rtol=tol, dtype=torch.float64)


def test_wrong_inputs_raise():
    gs = gspace("C4")
    other = FieldType(gs, [gs.regular_repr, gs.regular_repr])
    for layer in all_layers():
        with pytest.raises(TypeError, match="GeometricTensor"):
            layer(torch.randn(1, layer.in_type.size))
        with pytest.raises(ValueError, match="expects input type"):
            layer(GeometricTensor(torch.randn(1, other.size), other))
        with pytest.raises(ValueError):
            layer.evaluate_output_shape((1, layer.in_type.size + 1))
        assert str(layer.in_type) in repr(layer)
    for cls in (ReLU, NormNonLinearity, GatedNonLinearity1, ConcatenatedNonLinearity):
        with pytest.raises(TypeError, match="FieldType"):
            cls([gs.regular_repr])


def test_broken_layers_are_caught():
    """The checks used above do fail on non-equivariant layers."""
    gs = gspace("C8")  # (the C4 irrep 1 is a signed permutation: odd channelwise maps commute with it)
    irrep = FieldType(gs, [gs.irrep(1)])
    # a ReLU forced onto a non-permutation field
    relu = ReLU(FieldType(gs, 2 * [gs.trivial_repr]))
    relu.in_type = relu.out_type = irrep
    with pytest.raises(EquivarianceError):
        check_layer(relu)
    # a norm nonlinearity that splits a 2-dimensional field into two scalars
    norm = NormNonLinearity(FieldType(gs, 2 * [gs.trivial_repr]))
    with torch.no_grad():
        norm.bias.fill_(-0.5)
    norm.in_type = norm.out_type = irrep
    with pytest.raises(EquivarianceError):
        check_layer(norm)
    # the correct layer passes the same check
    good = NormNonLinearity(irrep)
    with torch.no_grad():
        good.bias.fill_(-0.5)
    check_layer(good)


def test_torch_export_round_trip():
    """The exported modules also go through torch.export, which keeps no Python classes at all."""
    for layer in all_layers():
        m = layer.eval().export()
        x = torch.randn(2, layer.in_type.size, 4, 4)
        buf = io.BytesIO()
        torch.export.save(torch.export.export(m, (x,)), buf)
        buf.seek(0)
        torch.testing.assert_close(torch.export.load(buf).module()(x), layer(GeometricTensor(x, layer.in_type)).tensor)
