"""Containers, identity/restriction/disentangle, dropout, upsampling, masks and invariant maps."""
from __future__ import annotations

import math
from collections import OrderedDict

import pytest
import torch
import torch.nn.functional as F

from steerable.gspaces import flipRot2dOnR2, rot2dOnR2, rot3dOnR3
from steerable.nn import (
    DisentangleModule, FieldDropout, FieldType, GeometricTensor, GroupPooling, IdentityModule,
    InnerBatchNorm, InvariantMaps, MaskModule, MultipleModule, NormPool, PointwiseDropout, PointwiseMaxPool2D,
    R2Conv, R2Upsampling, R3Upsampling, RestrictionModule, SequentialModule,
)
from steerable.nn.invariant_maps import quadratic_invariants
from steerable.nn.mask import build_mask
from steerable.nn.pooling import gaussian_filter
from _layer_helpers import check_export


GSPACES = {f"C{N}": (lambda N=N: rot2dOnR2(N)) for N in (1, 2, 3, 4, 8, 16)}
GSPACES.update({"D4": lambda: flipRot2dOnR2(4, axis=0.0), "D8": lambda: flipRot2dOnR2(8, axis=0.0),
                "SO2": lambda: rot2dOnR2(-1), "O2": lambda: flipRot2dOnR2(-1, axis=0.0)})


def mixed_type(gs) -> FieldType:
    irreps = gs.irreps
    if gs.fibergroup.continuous:
        return FieldType(gs, [gs.trivial_repr, irreps[1], irreps[2], irreps[-1]])
    return FieldType(gs, [gs.regular_repr, gs.trivial_repr, irreps[-1]] + ([irreps[1]] if len(irreps) > 1 else []))


def data(t: FieldType, n: int = 9, batch: int = 2, seed: int = 0, dtype=torch.float32) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return torch.randn(batch, t.size, *[n] * t.gspace.dimensionality, generator=g, dtype=torch.float64).to(dtype)


# ---------------------------------------------------------------------- containers
def test_sequential_module():
    gs = rot2dOnR2(8)
    t = FieldType(gs, 2 * [gs.regular_repr])
    net = SequentialModule(R2Conv(t, t, 3, padding=1), InnerBatchNorm(t), PointwiseMaxPool2D(t, 3, 2, 1), GroupPooling(t))
    assert net.in_type == t and net.out_type == FieldType(gs, 2 * [gs.trivial_repr]) and len(net) == 4
    x = data(t, 9, batch=4)
    net.train()
    net(GeometricTensor(x, t))
    net.check_equivariance(x=x, atol=1e-4)
    check_export(net, x)
    assert isinstance(net.export(), torch.nn.Sequential)
    named = SequentialModule(OrderedDict(conv=R2Conv(t, t, 3, padding=1), bn=InnerBatchNorm(t)))
    assert [n for n, _ in named.named_children()] == ["conv", "bn"]
    named.append(GroupPooling(t))
    assert len(named) == 3 and isinstance(named[-1], GroupPooling)


def test_sequential_type_mismatch():
    gs = rot2dOnR2(4)
    a = FieldType(gs, [gs.regular_repr])
    b = FieldType(gs, [gs.irrep(1)])
    with pytest.raises(ValueError) as e:
        SequentialModule(IdentityModule(a), IdentityModule(b))
    assert "regular" in str(e.value) and "irrep_1" in str(e.value)
    with pytest.raises(TypeError, match="EquivariantModule"):
        SequentialModule(IdentityModule(a), torch.nn.ReLU())
    with pytest.raises(ValueError):
        SequentialModule()
    seq = SequentialModule(IdentityModule(a))
    with pytest.raises(ValueError, match="expects input type"):
        seq.append(IdentityModule(b))


def test_multiple_module():
    gs = flipRot2dOnR2(4, axis=0.0)
    t = FieldType(gs, [gs.regular_repr, gs.irrep(1, 1), gs.regular_repr, gs.irrep(1, 1)])
    labels = ["reg", "vec", "reg", "vec"]
    reg, vec = t.index_select([0, 2]), t.index_select([1, 3])
    m = MultipleModule(t, labels, [(GroupPooling(reg), "reg"), (NormPool(vec), "vec"), (IdentityModule(vec), "vec")])
    assert m.out_type == FieldType(gs, 4 * [gs.trivial_repr]) + vec
    x = data(t)
    y = m(GeometricTensor(x, t)).tensor
    torch.testing.assert_close(y[:, 0], x[:, :8].amax(1))
    torch.testing.assert_close(y[:, 2], x[:, 8:10].norm(dim=1))
    torch.testing.assert_close(y[:, 4:6], x[:, 8:10])
    m.check_equivariance(x=x)
    check_export(m, x)
    with pytest.raises(ValueError, match="not used"):
        MultipleModule(t, labels, [(GroupPooling(reg), "reg")])
    with pytest.raises(ValueError, match="expects input type"):
        MultipleModule(t, labels, [(GroupPooling(reg), "vec"), (NormPool(vec), "reg")])
    with pytest.raises(ValueError, match="labels"):
        MultipleModule(t, labels[:3], [(GroupPooling(reg), "reg")])
    with pytest.raises(TypeError):
        MultipleModule(t, labels, [GroupPooling(reg)])


# ---------------------------------------------------------------------- structural layers
@pytest.mark.parametrize("gname", list(GSPACES))
def test_identity_and_disentangle(gname):
    gs = GSPACES[gname]()
    t = mixed_type(gs)
    x = data(t)
    idm = IdentityModule(t)
    assert idm(GeometricTensor(x, t)).tensor is x
    idm.check_equivariance(x=x)
    dis = DisentangleModule(t)
    assert dis.out_type == t  # regular, trivial and irrep fields mix all their channels: nothing to split
    dis.check_equivariance(x=x)
    check_export(dis, x)
    # a permutation of channels preserves norms
    torch.testing.assert_close(dis(GeometricTensor(x, t)).tensor.norm(dim=1), x.norm(dim=1), atol=1e-5, rtol=1e-5)


def test_restriction_module():
    for gs, sub in [(rot2dOnR2(8), 4), (flipRot2dOnR2(4, axis=0.0), (None, 4)), (flipRot2dOnR2(8, axis=0.0), (0, 4)), (rot2dOnR2(16), 2)]:
        t = mixed_type(gs)
        m = RestrictionModule(t, sub)
        assert m.out_type == t.restrict(sub)
        x = data(t)
        assert m(GeometricTensor(x, t)).tensor is x
        m.check_equivariance(x=x)
        check_export(m, x)
        assert "id=" in repr(m)


# ---------------------------------------------------------------------- dropout
def test_pointwise_dropout():
    gs = rot2dOnR2(8)
    t = FieldType(gs, [gs.regular_repr, gs.trivial_repr])
    m = PointwiseDropout(t, p=0.3)
    x = torch.ones(16, 9, 9, 9)
    m.train()
    y = m(GeometricTensor(x, t)).tensor
    frac = (y == 0).float().mean().item()
    assert 0.25 < frac < 0.35 and torch.allclose(y[y != 0], torch.tensor(1 / 0.7))
    m.eval()
    assert torch.equal(m(GeometricTensor(x, t)).tensor, x)
    m.check_equivariance(x=data(t))
    check_export(m, x)
    assert not m.export().training
    with pytest.raises(ValueError, match="permutation"):
        PointwiseDropout(FieldType(gs, [gs.irrep(1)]))
    with pytest.raises(ValueError, match="p must be"):
        PointwiseDropout(t, p=1.5)


def test_field_dropout():
    gs = rot2dOnR2(-1)
    t = FieldType(gs, 50 * [gs.irrep(1)] + [gs.trivial_repr])
    m = FieldDropout(t, p=0.4)
    x = torch.ones(8, t.size, 3, 3)
    torch.manual_seed(0)
    y = m(GeometricTensor(x, t)).tensor
    fields = y[:, :100].reshape(8, 50, 2, 3, 3)
    per_field = fields.flatten(2)
    assert ((per_field == 0).all(-1) | (per_field == 1 / 0.6).all(-1)).all()  # whole fields dropped or kept
    assert 0.25 < (per_field[..., 0] == 0).float().mean().item() < 0.55
    m.eval()
    assert torch.equal(m(GeometricTensor(x, t)).tensor, x)
    m.check_equivariance(x=data(t))
    check_export(m, x)
    exported_train = m.train().export()
    assert exported_train.training and exported_train(x).eq(0).any()


# ---------------------------------------------------------------------- upsampling
@pytest.mark.parametrize("gname", ["C4", "C8", "D4", "SO2", "O2", "C3"])
def test_upsampling_grid_exact(gname):
    t = mixed_type(GSPACES[gname]())
    x = data(t, 7)
    for kw in [dict(scale_factor=2), dict(scale_factor=3, mode="nearest"), dict(size=13, align_corners=True),
               dict(scale_factor=2, mode="bicubic")]:
        m = R2Upsampling(t, **kw)
        m.check_equivariance(x=x, atol=1e-5)
    check_export(m, x)


def test_upsampling_approximately_equivariant_45_degrees():
    """Smooth (noise blurred with sigma 2), disk-masked 33x33 input; relative L2 error in the central disk
    after upsampling by 2 and rotating by 45 degrees: < 4% (bilinear) and < 5% (bicubic)."""
    gs = rot2dOnR2(8)
    t = FieldType(gs, [gs.regular_repr, gs.trivial_repr, gs.irrep(1)])
    g = torch.Generator().manual_seed(0)
    n = 33
    x = torch.randn(2 * t.size, 1, n, n, generator=g, dtype=torch.float64)
    f = gaussian_filter(2.0, 2)[None, None]
    x = F.conv2d(x, f, padding=f.shape[-1] // 2).reshape(2, t.size, n, n) * build_mask(n, 2, 30, 2.0, torch.float64)
    rot45 = gs.fibergroup.element(1)
    for mode, tol in [("bilinear", 0.04), ("bicubic", 0.05)]:
        m = R2Upsampling(t, 2, mode=mode)
        y1 = m(GeometricTensor(x, t).transform(rot45)).tensor
        y2 = m(GeometricTensor(x, t)).transform(rot45).tensor
        inner = build_mask(2 * n, 2, margin=40, sigma=0.0, dtype=torch.float64)
        err = float(((y1 - y2) * inner).norm() / (y2 * inner).norm())
        assert err < tol, (mode, err)


def test_upsampling_3d_and_errors():
    gs = rot3dOnR3()
    t = FieldType(gs, [gs.trivial_repr, gs.irrep(1)])
    m = R3Upsampling(t, scale_factor=2)
    x = data(t, 4)
    m.check_equivariance(x=x)
    check_export(m, x)
    R3Upsampling(t, size=7, mode="nearest").check_equivariance(x=data(t, 7))
    t2 = FieldType(rot2dOnR2(4), [rot2dOnR2(4).regular_repr])
    with pytest.raises(ValueError, match="exactly one"):
        R2Upsampling(t2)
    with pytest.raises(ValueError, match="exactly one"):
        R2Upsampling(t2, scale_factor=2, size=5)
    with pytest.raises(ValueError, match="mode"):
        R2Upsampling(t2, 2, mode="trilinear")
    with pytest.raises(ValueError, match="R\\^2"):
        R2Upsampling(t, 2)
    with pytest.raises(ValueError, match="spatial"):
        R2Upsampling(t2, 2)(GeometricTensor(torch.randn(1, 4, 3, 3, 3), t2))


# ---------------------------------------------------------------------- masks
def test_mask_module():
    gs = flipRot2dOnR2(8, axis=0.0)
    t = mixed_type(gs)
    m = MaskModule(t, 15, margin=10)
    x = data(t, 15)
    m.check_equivariance(x=x)
    check_export(m, x)
    mask = build_mask(15, 2, 10, 2.0)
    assert mask[7, 7] == 1 and mask[0, 0] < 0.05 and 0.8 < mask[0, 7] < 1 and torch.equal(mask, mask.T) and torch.equal(mask, mask.flip(0))
    with pytest.raises(ValueError, match="spatial shape"):
        m(GeometricTensor(data(t, 13), t))
    gs3 = rot3dOnR3()
    t3 = FieldType(gs3, [gs3.irrep(1)])
    MaskModule(t3, 5).check_equivariance(x=data(t3, 5))


# ---------------------------------------------------------------------- invariant maps
@pytest.mark.parametrize("gname", list(GSPACES))
def test_invariant_maps_invariant_under_every_element(gname):
    gs = GSPACES[gname]()
    t = mixed_type(gs)
    m = InvariantMaps(t)
    assert all(r.is_trivial() for r in m.out_type)
    G = gs.fibergroup
    elements = G.elements if not G.continuous else [G.sample(k) for k in range(6)]
    x = data(t, 5, dtype=torch.float64)
    y = m(GeometricTensor(x, t)).tensor
    pts = x.movedim(1, -1).reshape(-1, t.size)[:20]  # (20, C): no spatial axes, only the fibre action
    yp = m(GeometricTensor(pts, t)).tensor
    for g in elements:  # all elements (also non-grid rotations): the map is pointwise in space
        torch.testing.assert_close(m(GeometricTensor(pts, t).transform(g)).tensor, yp, atol=1e-10, rtol=1e-10)
    m.check_equivariance(x=x, atol=1e-10)
    check_export(m, x.float())
    assert y.dtype == torch.float64


def test_invariant_maps_values():
    gs = rot2dOnR2(-1)
    t = FieldType(gs, [gs.irrep(1), gs.irrep(2)])
    m = InvariantMaps(t)
    assert len(m.out_type) == 2  # |x_f|^2 / sqrt(2): the antisymmetric invariant x^T J x = 0 is dropped
    x = data(t, 3)
    y = m(GeometricTensor(x, t)).tensor
    torch.testing.assert_close(y[:, 0], (x[:, :2] ** 2).sum(1) / math.sqrt(2))
    # the regular representation of C_N has N/2 + 1 quadratic invariants (symmetric circulant matrices)
    for N in (4, 5, 8):
        A = quadratic_invariants(rot2dOnR2(N).regular_repr)
        assert A.shape[0] == N // 2 + 1
    xg = data(t, 3).requires_grad_()
    m(GeometricTensor(xg, t)).tensor.sum().backward()
    assert torch.isfinite(xg.grad).all()


def test_state_dicts_have_no_derived_buffers():
    gs = rot2dOnR2(8)
    t = mixed_type(gs)
    for m in [InvariantMaps(t), MaskModule(t, 9), DisentangleModule(t), FieldDropout(t), IdentityModule(t)]:
        assert m.state_dict() == OrderedDict(), type(m).__name__
