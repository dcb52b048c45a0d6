"""Equivariant pooling layers.

Grid-exact equivariance needs pooling windows that are mapped onto pooling windows by the
90 degree rotations / flips: with side ``n``, kernel ``k``, stride ``s``, padding ``p``,
dilation ``d`` that is ``(n + 2p - d(k-1) - 1) % s == 0``.  ``WINDOWS`` lists such configurations
(odd and even sides); ``test_asymmetric_windows_are_caught`` shows that ``n=9, k=2, s=2`` is not.
"""
from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from steerable.gspaces import flipRot2dOnR2, rot2dOnR2, rot3dOnR3
from steerable.nn import (
    EquivarianceError, EquivariantModule, FieldType, GeometricTensor, GroupPooling, MaxPoolChannels, NormMaxPool,
    NormPool, PointwiseAdaptiveAvgPool2D, PointwiseAdaptiveAvgPool3D, PointwiseAdaptiveMaxPool2D, PointwiseAvgPool2D,
    PointwiseAvgPool3D, PointwiseAvgPoolAntialiased2D, PointwiseAvgPoolAntialiased3D, PointwiseMaxPool2D,
    PointwiseMaxPool3D,
)
from steerable.nn.mask import build_mask
from steerable.nn.pooling import gaussian_filter
from _layer_helpers import ALL2D, FINITE, check_export



# (n, kernel, stride, padding, dilation): windows symmetric about the centre of an n x n grid
WINDOWS = [(9, 3, 1, 1, 1), (9, 3, 2, 1, 1), (8, 2, 2, 0, 1), (9, 3, 2, 1, 2), (10, 3, 1, 1, 1), (10, 3, 3, 1, 1)]


def permutation_type(gs) -> FieldType:
    reps = [gs.regular_repr, gs.trivial_repr]
    G = gs.fibergroup
    if G.name.startswith("C") and G.order() % 2 == 0 and G.order() > 2:
        reps.append(gs.quotient_repr(2))
    if G.name.startswith("D"):
        reps.append(gs.quotient_repr((None, G.order() // 2)))
    return FieldType(gs, reps)


def mixed_type(gs) -> FieldType:
    irreps = gs.irreps
    if gs.fibergroup.continuous:
        return FieldType(gs, [gs.trivial_repr, irreps[1], irreps[2], irreps[-1]])
    return FieldType(gs, [gs.regular_repr, gs.trivial_repr, irreps[-1]] + ([irreps[1]] if len(irreps) > 1 else []))


def data(t: FieldType, n: int, batch: int = 2, seed: int = 0, dtype=torch.float32) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return torch.randn(batch, t.size, *[n] * t.gspace.dimensionality, generator=g, dtype=torch.float64).to(dtype)


# ---------------------------------------------------------------------- pointwise spatial pooling
@pytest.mark.parametrize("gname", list(FINITE))
def test_pointwise_max_pool_equivariant(gname):
    t = permutation_type(FINITE[gname]())
    for n, k, s, p, d in WINDOWS:
        m = PointwiseMaxPool2D(t, k, s, p, d)
        x = data(t, n)
        m.check_equivariance(x=x)
    check_export(m, x)


@pytest.mark.parametrize("gname", list(ALL2D))
def test_pointwise_avg_pool_equivariant_any_field(gname):
    t = mixed_type(ALL2D[gname]())
    for n, k, s, p, d in WINDOWS:
        if d != 1:
            continue
        for count_include_pad in (True, False):
            m = PointwiseAvgPool2D(t, k, s, p, count_include_pad=count_include_pad)
            x = data(t, n)
            m.check_equivariance(x=x)
    check_export(m, x)


@pytest.mark.parametrize("gname", ["C4", "D8", "SO2", "O2"])
def test_adaptive_pools_equivariant(gname):
    gs = ALL2D[gname]()
    t = mixed_type(gs)
    for n, out in [(9, 4), (10, 3), (9, 1), (11, 11)]:
        m = PointwiseAdaptiveAvgPool2D(t, out)
        m.check_equivariance(x=data(t, n))
    check_export(m, data(t, 9))
    tp = permutation_type(gs) if not gs.fibergroup.continuous else FieldType(gs, [gs.trivial_repr])
    mm = PointwiseAdaptiveMaxPool2D(tp, 4)
    mm.check_equivariance(x=data(tp, 10))
    check_export(mm, data(tp, 10))


def test_asymmetric_windows_are_caught():
    """Kernel 2, stride 2 on an odd grid drops the last row/column: not rotation equivariant."""
    gs = rot2dOnR2(4)
    t = FieldType(gs, [gs.regular_repr])
    with pytest.raises(EquivarianceError):
        PointwiseMaxPool2D(t, 2, 2).check_equivariance(x=data(t, 9))
    PointwiseMaxPool2D(t, 2, 2).check_equivariance(x=data(t, 8))  # even grid: the 2x2 blocks tile symmetrically


def test_pointwise_pools_3d():
    gs = rot3dOnR3()
    t = FieldType(gs, 2 * [gs.trivial_repr])
    tv = FieldType(gs, [gs.trivial_repr, gs.irrep(1), gs.irrep(2)])
    x, xv = data(t, 7), data(tv, 7)
    for m, inp in [(PointwiseMaxPool3D(t, 3, 2, 1), x), (PointwiseAvgPool3D(tv, 3, 2, 1), xv),
                   (PointwiseAdaptiveAvgPool3D(tv, 3), xv), (PointwiseAvgPoolAntialiased3D(tv, 0.7, 2), xv),
                   (NormMaxPool(tv, 3, 2, 1), xv)]:
        m.check_equivariance(x=inp)
        check_export(m, inp)


# ---------------------------------------------------------------------- anti-aliased pooling
def smooth_disk(t: FieldType, n: int, sigma: float, seed: int = 0) -> torch.Tensor:
    """Gaussian-blurred noise times a smooth disk (float64)."""
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(2 * t.size, 1, n, n, generator=g, dtype=torch.float64)
    f = gaussian_filter(sigma, 2)[None, None]
    x = F.conv2d(x, f, padding=f.shape[-1] // 2).reshape(2, t.size, n, n)
    return x * build_mask(n, 2, margin=30, sigma=2.0, dtype=torch.float64)


def rel_error_45(m: EquivariantModule, x: torch.Tensor) -> float:
    """``|m(g.x) - g.m(x)| / |g.m(x)|`` for the 45 degree rotation, inside a central disk."""
    g = m.in_type.fibergroup.element(1)  # C8: rotation by 45 degrees (bilinear resampling of the grid)
    gx = GeometricTensor(x, m.in_type).transform(g)
    y1 = m(gx).tensor
    y2 = m(GeometricTensor(x, m.in_type)).transform(g).tensor
    inner = build_mask(y1.shape[-1], 2, margin=40, sigma=0.0, dtype=torch.float64)
    return float(((y1 - y2) * inner).norm() / (y2 * inner).norm())


def test_antialiased_pool_grid_exact():
    for gname in ("C8", "D4", "SO2", "O2"):
        t = mixed_type(ALL2D[gname]())
        for n, s in [(9, 2), (10, 1), (13, 3)]:
            m = PointwiseAvgPoolAntialiased2D(t, 0.8, s)
            m.check_equivariance(x=data(t, n))
    check_export(m, data(t, 13))
    assert m.filter_size == 2 * 3 + 1 and m.padding == 3


def test_antialiased_pool_approximately_equivariant_45_degrees():
    """Tolerances (relative L2 error in the central disk, 33x33 inputs):
    stride 1 < 2% (input blurred with sigma 2); stride 2 < 15% and below plain subsampling's error
    (input blurred with sigma 1.5) - most of the remaining error is the bilinear rotation of the
    coarser output grid itself."""
    gs = rot2dOnR2(8)
    t = FieldType(gs, [gs.regular_repr, gs.trivial_repr, gs.irrep(1)])
    m1 = PointwiseAvgPoolAntialiased2D(t, 1.0, 1).double()
    assert rel_error_45(m1, smooth_disk(t, 33, 2.0)) < 0.02
    x = smooth_disk(t, 33, 1.5)
    aa = rel_error_45(PointwiseAvgPoolAntialiased2D(t, 1.0, 2).double(), x)
    naive = rel_error_45(PointwiseAvgPool2D(t, 1, 2).double(), x)  # plain subsampling x[::2, ::2]
    assert aa < 0.15 and aa < 0.8 * naive, (aa, naive)


def test_gaussian_filter():
    f = gaussian_filter(1.0, 2)
    assert f.shape == (7, 7) and abs(float(f.sum()) - 1) < 1e-12
    torch.testing.assert_close(f, f.T)
    torch.testing.assert_close(f, f.flip(0))
    with pytest.raises(ValueError, match="sigma"):
        PointwiseAvgPoolAntialiased2D(FieldType(rot2dOnR2(4), [rot2dOnR2(4).trivial_repr]), 0.0, 2)


# ---------------------------------------------------------------------- norm / group pooling
@pytest.mark.parametrize("gname", ["C4", "C8", "D4", "SO2", "O2", "C3"])
def test_norm_max_pool_equivariant(gname):
    t = mixed_type(ALL2D[gname]())
    for n, k, s, p, d in WINDOWS[:4]:
        m = NormMaxPool(t, k, s, p, d)
        m.check_equivariance(x=data(t, n))
    check_export(m, data(t, 9))


def test_norm_max_pool_selects_vector_of_largest_norm():
    gs = rot2dOnR2(-1)
    t = FieldType(gs, [gs.irrep(1), gs.trivial_repr])
    x = torch.zeros(1, 3, 2, 2)
    x[0, :2, 0, 1] = torch.tensor([0.1, -3.0])  # largest norm for the vector field
    x[0, :2, 1, 1] = torch.tensor([2.0, 2.0])
    x[0, 2] = torch.tensor([[1.0, -5.0], [2.0, 3.0]])  # largest |.| is -5
    y = NormMaxPool(t, 2)(GeometricTensor(x, t)).tensor.flatten()
    torch.testing.assert_close(y, torch.tensor([0.1, -3.0, -5.0]))
    xg = x.clone().requires_grad_()
    NormMaxPool(t, 2)(GeometricTensor(xg, t)).tensor.sum().backward()
    assert xg.grad[0, :2, 0, 1].abs().sum() == 2 and xg.grad.abs().sum() == 3  # only the selected vectors


@pytest.mark.parametrize("gname", list(FINITE))
def test_group_pooling_invariant(gname):
    gs = FINITE[gname]()
    t = permutation_type(gs)
    gp = GroupPooling(t)
    assert gp.out_type == FieldType(gs, len(t) * [gs.trivial_repr])
    x = data(t, 9)
    gp.check_equivariance(x=x)
    y = gp(GeometricTensor(x, t)).tensor
    torch.testing.assert_close(y[:, 0], x[:, : gs.regular_repr.size].amax(1))
    check_export(gp, x)


@pytest.mark.parametrize("gname", ["C8", "D4", "SO2", "O2"])
def test_norm_pool(gname):
    gs = ALL2D[gname]()
    t = mixed_type(gs)
    npool = NormPool(t)
    x = data(t, 9)
    npool.check_equivariance(x=x)
    y = npool(GeometricTensor(x, t)).tensor
    assert (y >= 0).all() and y.shape[1] == len(t)
    check_export(npool, x)
    # gradient at a zero field is finite
    z = torch.zeros(1, t.size, 3, 3, requires_grad=True)
    npool(GeometricTensor(z, t)).tensor.sum().backward()
    assert torch.isfinite(z.grad).all()


def test_max_pool_channels():
    gs = flipRot2dOnR2(4, axis=0.0)
    t = FieldType(gs, [gs.regular_repr, gs.regular_repr, gs.trivial_repr])
    with pytest.raises(ValueError, match="does not divide"):
        MaxPoolChannels(t, 4)  # the trivial field has one channel
    t = FieldType(gs, [gs.regular_repr, gs.quotient_repr((None, 2))])  # sizes 8 and 4
    m = MaxPoolChannels(t, 4)  # pool over the rotations (C4 cosets); the D4/C2 quotient blocks are the flip orbits
    assert m.out_type.size == 3
    x = data(t, 9)
    m.check_equivariance(x=x)
    check_export(m, x)
    # kernel = field size is group pooling
    tr = FieldType(gs, 3 * [gs.regular_repr])
    torch.testing.assert_close(MaxPoolChannels(tr, 8)(GeometricTensor(data(tr, 5), tr)).tensor,
                               GroupPooling(tr)(GeometricTensor(data(tr, 5), tr)).tensor)
    # consecutive blocks of the C4 regular representation are not permuted by the rotation
    c4 = rot2dOnR2(4)
    with pytest.raises(ValueError, match="not permuted"):
        MaxPoolChannels(FieldType(c4, [c4.regular_repr]), 2)


# ---------------------------------------------------------------------- dtype, grads, bad inputs
def test_float64_and_gradients():
    gs = flipRot2dOnR2(8, axis=0.0)
    t = permutation_type(gs)
    tm = mixed_type(gs)
    for m, tt in [(PointwiseMaxPool2D(t, 3, 2, 1), t), (PointwiseAvgPoolAntialiased2D(tm, 0.7, 2), tm),
                  (NormMaxPool(tm, 3, 2, 1), tm), (GroupPooling(t), t), (NormPool(tm), tm),
                  (PointwiseAdaptiveAvgPool2D(tm, 2), tm)]:
        x = data(tt, 9, dtype=torch.float64).requires_grad_()
        y = m(GeometricTensor(x, tt)).tensor
        assert y.dtype == torch.float64
        m.check_equivariance(x=x.detach(), atol=1e-12, rtol=1e-12)
        (y * torch.randn_like(y)).sum().backward()
        assert torch.isfinite(x.grad).all() and x.grad.abs().sum() > 0


def test_bad_inputs():
    gs = rot2dOnR2(8)
    vec = FieldType(gs, [gs.irrep(1)])
    reg = FieldType(gs, [gs.regular_repr])
    for cls in (PointwiseMaxPool2D, PointwiseAdaptiveMaxPool2D):
        with pytest.raises(ValueError, match="permutation"):
            cls(vec, 2)
    with pytest.raises(ValueError, match="permutation"):
        GroupPooling(vec)
    with pytest.raises(ValueError, match="permutation"):
        MaxPoolChannels(vec, 2)
    with pytest.raises(ValueError, match="R\\^3"):
        PointwiseMaxPool3D(reg, 2)
    with pytest.raises(TypeError, match="FieldType"):
        NormPool("regular")
    m = PointwiseMaxPool2D(reg, 2)
    with pytest.raises(TypeError, match="GeometricTensor"):
        m(torch.randn(1, 8, 4, 4))
    with pytest.raises(ValueError, match="expects input type"):
        m(GeometricTensor(torch.randn(1, 2, 4, 4), vec))
    with pytest.raises(ValueError, match="2 spatial axes"):
        m(GeometricTensor(torch.randn(1, 8, 4, 4, 4), reg))
    with pytest.raises(ValueError, match="2 spatial axes"):
        NormMaxPool(reg, 2)(GeometricTensor(torch.randn(1, 8, 4), reg))
