"""GeometricTensor and FieldType semantics that ported code relies on: numpy-style ellipsis
indexing, point coordinates carried through every operation, ``g @ x``, ``in_type(x)``, the
names ``steerable.nn`` exports, exported batch norms, and float-valued frequency cutoffs."""
from __future__ import annotations

import math

import pytest
import torch

import steerable.group
from steerable import gspaces, nn


@pytest.fixture
def c4_tensor() -> nn.GeometricTensor:
    gs = gspaces.rot2dOnR2(4)
    t = nn.FieldType(gs, 3 * [gs.regular_repr] + 2 * [gs.trivial_repr])
    return nn.GeometricTensor(torch.randn(10, 14, 11, 11), t)


def test_ellipsis_slices_the_trailing_axes(c4_tensor: nn.GeometricTensor) -> None:
    x = c4_tensor
    y = x[..., 2:7, 2:7]
    assert y.shape == (10, 14, 5, 5)
    assert torch.equal(y.tensor, x.tensor[..., 2:7, 2:7])
    assert x[2:5, ...].shape == (3, 14, 11, 11)
    z = x[:, 1:3, ...]
    assert z.shape == (10, 8, 11, 11) and len(z.type) == 2
    assert x[...].shape == x.shape
    with pytest.raises(IndexError):
        x[..., 1, ...]


def test_nn_star_import_keeps_group_directsum() -> None:
    namespace: dict = {}
    exec("from steerable.group import *\nfrom steerable.nn import *", namespace)
    assert namespace["directsum"] is steerable.group.directsum
    assert "directsum" not in nn.__all__ and "tensor_directsum" in nn.__all__


@pytest.mark.parametrize("cls", [nn.InnerBatchNorm, nn.IIDBatchNorm2d, nn.NormBatchNorm, nn.GNormBatchNorm])
def test_exported_batch_norm_is_the_eval_mode_map(cls: type) -> None:
    gs = gspaces.rot2dOnR2(4)
    t = nn.FieldType(gs, 3 * [gs.regular_repr])
    bn = cls(t)
    x = torch.randn(8, t.size, 5, 5)
    bn(t(x))  # move the running statistics away from their initial values
    plain = bn.export()
    assert plain.training is False
    seq = nn.SequentialModule(bn).export()
    assert seq.training is False
    bn.eval()
    with torch.no_grad():
        assert torch.allclose(plain(x), bn(t(x)).tensor, atol=1e-5)
        assert torch.allclose(seq(x), bn(t(x)).tensor, atol=1e-5)


@pytest.mark.parametrize("cutoff", [lambda r: 1.5 * r, lambda r: float(r), lambda r: 2 * r + 0.25])
def test_frequency_cutoff_callables_may_return_floats(cutoff) -> None:
    gs = gspaces.rot2dOnR2(8)
    t = nn.FieldType(gs, [gs.regular_repr])
    conv = nn.R2Conv(t, t, 5, padding=2, frequencies_cutoff=cutoff)
    integer = nn.R2Conv(t, t, 5, padding=2, frequencies_cutoff=lambda r: int(math.floor(cutoff(r) + 1e-9)))
    assert conv.basisexpansion.dimension == integer.basisexpansion.dimension > 0


def test_frequency_cutoff_returning_nonsense_is_an_error() -> None:
    gs = gspaces.rot2dOnR2(8)
    t = nn.FieldType(gs, [gs.regular_repr])
    with pytest.raises(TypeError, match="must return a number"):
        nn.R2Conv(t, t, 5, frequencies_cutoff=lambda r: "2")
    with pytest.raises(ValueError, match="must be finite"):
        nn.R2Conv(t, t, 5, frequencies_cutoff=lambda r: float("nan"))


def test_field_type_call_wraps_a_tensor() -> None:
    gs = gspaces.flipRot2dOnR2(4)
    t = nn.FieldType(gs, 2 * [gs.regular_repr])
    x = torch.randn(2, t.size, 7, 7)
    gt = t(x)
    assert isinstance(gt, nn.GeometricTensor) and gt.type == t and gt.tensor is x


def test_group_element_matmul_transforms_a_geometric_tensor(c4_tensor: nn.GeometricTensor) -> None:
    g = c4_tensor.type.fibergroup.element(1)
    assert torch.equal((g @ c4_tensor).tensor, c4_tensor.transform(g).tensor)
    with pytest.raises(TypeError):
        g @ 3  # noqa: B018


def _point_cloud(group_gspace, n: int = 6, dtype=torch.float64) -> nn.GeometricTensor:
    gs = group_gspace
    t = nn.FieldType(gs, [gs.trivial_repr, gs.irrep(1)])
    return nn.GeometricTensor(torch.randn(n, t.size, dtype=dtype), t, coords=torch.randn(n, 2, dtype=dtype))


def test_coords_follow_every_operation() -> None:
    gs = gspaces.rot2dOnR2(-1)
    x = _point_cloud(gs)
    c = x.coords
    assert torch.equal(x[1:4].coords, c[1:4])
    assert torch.equal(x[:, 1:].coords, c)
    assert torch.equal((x + x).coords, c) and torch.equal((x - x).coords, c)
    assert torch.equal((x * 2.0).coords, c) and torch.equal((x / 2.0).coords, c)
    assert torch.equal(x.detach().coords, c)
    assert x.to(torch.float32).coords.dtype == torch.float32
    assert all(torch.equal(p.coords, c) for p in x.split([None, 1, None]))
    assert torch.equal(nn.tensor_directsum([x, x]).coords, c)
    assert [torch.equal(p.coords, c[i : i + 1]) for i, p in enumerate(x)] == [True] * len(x)


def test_pointwise_layers_keep_the_points() -> None:
    gs = gspaces.rot2dOnR2(-1)
    x = _point_cloud(gs)
    lin = nn.Linear(x.type, x.type).double()
    assert torch.equal(lin(x).coords, x.coords)
    norm = nn.NormNonLinearity(x.type).double()
    assert torch.equal(norm(x).coords, x.coords)


def test_coords_rotate_with_the_group_action() -> None:
    gs = gspaces.rot2dOnR2(-1)
    x = _point_cloud(gs)
    theta = 0.7
    g = gs.fibergroup.element(theta)
    y = g @ x
    R = torch.tensor([[math.cos(theta), -math.sin(theta)], [math.sin(theta), math.cos(theta)]], dtype=torch.float64)
    assert torch.allclose(y.coords, x.coords @ R.T, atol=1e-12)
    # features: the trivial field is unchanged, the frequency-1 field rotates with the plane
    assert torch.allclose(y.tensor[:, 0], x.tensor[:, 0])
    assert torch.allclose(y.tensor[:, 1:].norm(dim=1), x.tensor[:, 1:].norm(dim=1))


def test_bad_coords_and_mismatched_points_are_errors() -> None:
    gs = gspaces.rot2dOnR2(4)
    t = nn.FieldType(gs, [gs.regular_repr])
    with pytest.raises(ValueError, match=r"coords must have shape \(N, 2\)"):
        nn.GeometricTensor(torch.randn(5, 4), t, coords=torch.randn(5, 3))
    with pytest.raises(TypeError, match="coords"):
        nn.GeometricTensor(torch.randn(5, 4), t, coords=[[0.0, 0.0]] * 5)
    a = nn.GeometricTensor(torch.randn(5, 4), t, coords=torch.randn(5, 2))
    b = nn.GeometricTensor(torch.randn(5, 4), t, coords=torch.randn(5, 2))
    with pytest.raises(ValueError, match="coords differ"):
        a + b
    with pytest.raises(IndexError, match="no spatial axes"):
        a[:, :, 0]

