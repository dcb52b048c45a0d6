"""Equivariant normalisation: InnerBatchNorm, NormBatchNorm, IIDBatchNorm{1,2,3}d, GNormBatchNorm, FieldNorm.

Equivariance is checked in training mode (batch statistics of ``g.x`` equal those of ``x`` for
grid-exact ``g``) and in eval mode after a few training steps (``check_equivariance`` on every
grid-exact element of the gspace).
"""
from __future__ import annotations

import copy
import warnings

import pytest
import torch

from steerable.gspaces import flipRot2dOnR2, rot2dOnR2, rot3dOnR3
from steerable.nn import (
    EquivarianceError, EquivariantModule, FieldNorm, FieldType, GeometricTensor, GNormBatchNorm, IIDBatchNorm1d,
    IIDBatchNorm2d, IIDBatchNorm3d, InnerBatchNorm, NormBatchNorm,
)
from _layer_helpers import ALL2D, FINITE




def permutation_type(gs) -> FieldType:
    """Regular, trivial and (where there is a proper subgroup) quotient fields."""
    reps = [gs.regular_repr, gs.trivial_repr, gs.regular_repr]
    G = gs.fibergroup
    if G.name.startswith("C") and G.order() % 2 == 0 and G.order() > 2:
        reps.append(gs.quotient_repr(2))
    if G.name.startswith("D"):
        reps.append(gs.quotient_repr((None, G.order() // 2)))
    return FieldType(gs, reps)


def mixed_type(gs) -> FieldType:
    """Trivial, non-trivial irreps and (finite groups) regular fields."""
    irreps = gs.irreps
    if gs.fibergroup.continuous:
        return FieldType(gs, [gs.trivial_repr, irreps[1], irreps[2], irreps[1], irreps[-1]])
    return FieldType(gs, [gs.regular_repr, gs.trivial_repr, irreps[-1], gs.regular_repr] + ([irreps[1]] if len(irreps) > 1 else []))


def data(t: FieldType, n: int = 7, batch: int = 6, seed: int = 0, dtype=torch.float32) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    d = t.gspace.dimensionality
    # a non-zero mean on every channel: whatever is invariant of it must be removed by the layers
    return (torch.randn(batch, t.size, *[n] * d, generator=g, dtype=torch.float64) * 2 + 0.7).to(dtype)


def randomise(m: torch.nn.Module, seed: int = 1) -> torch.nn.Module:
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in m.parameters():
            p.copy_(torch.randn(p.shape, generator=g) * 0.5 + 1.0)
    return m


def check_train_equivariance(m: EquivariantModule, x: torch.Tensor, atol: float = 1e-4) -> None:
    """``m(g.x) == g.m(x)`` with batch statistics (training mode), for every grid-exact ``g``."""
    m.train()
    gx = GeometricTensor(x, m.in_type)
    y = m(gx)
    for g in m.in_type.testing_elements:
        err = (m(gx.transform(g)).tensor - y.transform(g).tensor).abs().max().item()
        assert err < atol, f"{type(m).__name__} not equivariant in training mode at {g}: {err}"


def train_steps(m: EquivariantModule, t: FieldType, steps: int = 3) -> None:
    m.train()
    for s in range(steps):
        m(GeometricTensor(data(t, seed=10 + s), t))


BN_FOR_TYPE = [NormBatchNorm, GNormBatchNorm, IIDBatchNorm2d]


# ---------------------------------------------------------------------- equivariance
@pytest.mark.parametrize("gname", list(FINITE))
def test_inner_batchnorm_equivariant(gname):
    gs = FINITE[gname]()
    t = permutation_type(gs)
    bn = randomise(InnerBatchNorm(t))
    x = data(t)
    check_train_equivariance(bn, x)
    train_steps(bn, t)
    bn.check_equivariance(x=x, atol=1e-4)


@pytest.mark.parametrize("cls", BN_FOR_TYPE + [FieldNorm])
@pytest.mark.parametrize("gname", list(ALL2D))
def test_norm_layers_equivariant_2d(cls, gname):
    gs = ALL2D[gname]()
    t = mixed_type(gs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # FieldNorm on scalar fields
        bn = randomise(cls(t))
    x = data(t)
    check_train_equivariance(bn, x)
    train_steps(bn, t)
    bn.check_equivariance(x=x, atol=1e-4)


@pytest.mark.parametrize("cls", [NormBatchNorm, GNormBatchNorm, IIDBatchNorm3d, FieldNorm, InnerBatchNorm])
def test_norm_layers_equivariant_3d(cls):
    gs = rot3dOnR3()
    t = FieldType(gs, [gs.trivial_repr, gs.irrep(1), gs.irrep(2), gs.trivial_repr] if cls is not InnerBatchNorm
                  else 3 * [gs.trivial_repr])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        bn = randomise(cls(t))
    x = data(t, n=5, batch=3)
    check_train_equivariance(bn, x)
    train_steps(bn, t, steps=2)
    bn.check_equivariance(x=x, atol=1e-4)


class PerChannelBN(EquivariantModule):
    """A *wrong* layer: torch BatchNorm2d (statistics and affine per channel) on regular fields."""

    def __init__(self, t: FieldType) -> None:
        super().__init__()
        self.in_type = self.out_type = t
        self.bn = torch.nn.BatchNorm2d(t.size)

    def forward(self, x: GeometricTensor) -> GeometricTensor:
        return GeometricTensor(self.bn(x.tensor), self.out_type)


def test_equivariance_check_catches_per_channel_batchnorm():
    gs = rot2dOnR2(8)
    t = FieldType(gs, 2 * [gs.regular_repr])
    bad = PerChannelBN(t)
    bad.train()
    for s in range(3):  # channel-dependent statistics
        bad(GeometricTensor(data(t, seed=s) * torch.linspace(0.5, 3, t.size).view(1, -1, 1, 1), t))
    with pytest.raises(EquivarianceError):
        bad.check_equivariance(atol=1e-4)
    good = InnerBatchNorm(t)
    good.train()
    for s in range(3):
        good(GeometricTensor(data(t, seed=s) * torch.linspace(0.5, 3, t.size).view(1, -1, 1, 1), t))
    good.check_equivariance(atol=1e-4)


# ---------------------------------------------------------------------- statistics
def _torch_bn_reference(n_channels: int, x: torch.Tensor, steps: int = 2):
    ref = torch.nn.BatchNorm2d(n_channels, momentum=0.3)
    outs = [ref(x + s) for s in range(steps)]
    return ref, outs


@pytest.mark.parametrize("cls", [InnerBatchNorm, NormBatchNorm, IIDBatchNorm2d, GNormBatchNorm])
def test_scalar_fields_match_torch_batchnorm(cls):
    """On trivial (scalar) fields every variant is ordinary batch norm, running statistics included."""
    gs = rot2dOnR2(4)
    t = FieldType(gs, 5 * [gs.trivial_repr])
    x = data(t)
    ref, outs = _torch_bn_reference(5, x)
    bn = cls(t, momentum=0.3)
    for s in range(2):
        y = bn(GeometricTensor(x + s, t)).tensor
        torch.testing.assert_close(y, outs[s], atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(bn.running_mean, ref.running_mean)
    torch.testing.assert_close(bn.running_var, ref.running_var)
    bn.eval(), ref.eval()
    torch.testing.assert_close(bn(GeometricTensor(x, t)).tensor, ref(x), atol=1e-5, rtol=1e-5)


def test_inner_batchnorm_statistics_per_field():
    gs = rot2dOnR2(8)
    t = FieldType(gs, [gs.regular_repr, gs.regular_repr])
    x = data(t)
    x[:, 8:] = x[:, 8:] * 5 - 3
    y = InnerBatchNorm(t, affine=False)(GeometricTensor(x, t)).tensor
    for f in range(2):
        yf = y[:, 8 * f : 8 * (f + 1)]
        assert abs(yf.mean().item()) < 1e-5
        assert abs(yf.var(unbiased=False).item() - 1) < 1e-3
    # one mean per field: channels of a field keep their relative offsets
    per_channel = y.mean((0, 2, 3))
    assert per_channel.std() > 1e-3


def test_iid_equals_inner_on_regular_fields():
    """For transitive permutation fields the trivial subspace is the constant vector: IID == Inner."""
    gs = flipRot2dOnR2(4, axis=0.0)
    t = FieldType(gs, [gs.regular_repr, gs.quotient_repr((None, 2))])
    x = data(t)
    a, b = InnerBatchNorm(t, affine=False), IIDBatchNorm2d(t, affine=False)
    torch.testing.assert_close(a(GeometricTensor(x, t)).tensor, b(GeometricTensor(x, t)).tensor, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(a.running_var, b.running_var)


def test_norm_batchnorm_normalises_mean_squared_norm():
    gs = rot2dOnR2(-1)
    t = FieldType(gs, [gs.irrep(1), gs.irrep(2), gs.trivial_repr])
    x = data(t) * torch.tensor([1, 1, 4, 4, 3.0]).view(1, -1, 1, 1)
    y = NormBatchNorm(t, affine=False)(GeometricTensor(x, t)).tensor
    for sl in (slice(0, 2), slice(2, 4)):
        assert abs((y[:, sl] ** 2).sum(1).mean().item() / 2 - 1) < 1e-3
        # no mean subtraction: the direction of every vector is kept
        torch.testing.assert_close(y[:, sl] / y[:, sl].norm(dim=1, keepdim=True), x[:, sl] / x[:, sl].norm(dim=1, keepdim=True))
    assert abs(y[:, 4].mean().item()) < 1e-5


def test_gnorm_normalises_each_irrep():
    gs = rot2dOnR2(8)
    t = FieldType(gs, [gs.regular_repr])
    x = data(t, batch=16)
    y = GNormBatchNorm(t, affine=False)(GeometricTensor(x, t)).tensor
    z = torch.einsum("co,bc...->bo...", torch.from_numpy(t.change_of_basis).float(), y)  # irrep basis
    p = 0
    for psi in t.irreps:
        zi = z[:, p : p + psi.size]
        if psi.is_trivial():
            assert abs(zi.mean().item()) < 1e-5
        assert abs((zi**2).sum(1).mean().item() / psi.size - 1) < 1e-3
        p += psi.size


def test_iid_bias_only_on_trivial_components():
    gs = rot2dOnR2(4)
    t = FieldType(gs, [gs.regular_repr, gs.irrep(1)])
    bn = IIDBatchNorm2d(t)
    assert bn.bias.shape == (1,) and bn.weight.shape == (2,)
    with torch.no_grad():
        bn.bias.fill_(2.0)
    bn.eval()
    y = bn(GeometricTensor(torch.zeros(1, 6, 3, 3), t)).tensor
    torch.testing.assert_close(y[0, :4, 0, 0], torch.full((4,), 1.0))  # Q column of the trivial irrep: 1/2 (1,1,1,1)
    torch.testing.assert_close(y[0, 4:], torch.zeros(2, 3, 3))


def test_fieldnorm_per_sample_and_warning():
    gs = rot2dOnR2(-1)
    t = FieldType(gs, [gs.irrep(1), gs.irrep(3)])
    fn = FieldNorm(t, eps=1e-9, affine=False)
    x = data(t, batch=2)
    y = fn(GeometricTensor(x, t)).tensor
    torch.testing.assert_close((y[:, :2] ** 2).sum(1) / 2, torch.ones(2, 7, 7), atol=1e-4, rtol=1e-4)
    y_single = fn(GeometricTensor(x[:1], t)).tensor
    torch.testing.assert_close(y_single, y[:1])  # no batch statistics
    fn.eval()
    torch.testing.assert_close(fn(GeometricTensor(x, t)).tensor, y)  # train == eval
    with pytest.warns(UserWarning, match="trivial"):
        FieldNorm(FieldType(gs, [gs.trivial_repr, gs.irrep(1)]))


# ---------------------------------------------------------------------- train / eval
def test_train_vs_eval_behaviour():
    gs = rot2dOnR2(4)
    t = FieldType(gs, 2 * [gs.regular_repr])
    bn = InnerBatchNorm(t, momentum=None)  # cumulative average
    for s in range(4):
        bn(GeometricTensor(data(t, seed=s), t))
    assert bn.num_batches_tracked.item() == 4
    assert torch.allclose(bn.running_mean, torch.full((2,), 0.7), atol=0.1)
    assert torch.allclose(bn.running_var, torch.full((2,), 4.0), atol=0.4)
    x = data(t, seed=99)
    # train: the output of a sample depends on the rest of the batch; eval: it does not
    y_batch = bn(GeometricTensor(x, t)).tensor[:1]
    y_alone = bn(GeometricTensor(x[:2], t)).tensor[:1]
    assert (y_batch - y_alone).abs().max() > 1e-3
    bn.eval()
    before = bn.running_mean.clone()
    y_batch = bn(GeometricTensor(x, t)).tensor[:1]
    y_alone = bn(GeometricTensor(x[:1], t)).tensor
    torch.testing.assert_close(y_batch, y_alone)
    torch.testing.assert_close(bn.running_mean, before)  # eval does not update statistics
    manual = (x[:1] - bn.running_mean.repeat_interleave(4).view(1, -1, 1, 1)) / torch.sqrt(
        bn.running_var.repeat_interleave(4).view(1, -1, 1, 1) + bn.eps)
    torch.testing.assert_close(y_alone, manual, atol=1e-5, rtol=1e-5)


def test_no_running_stats_uses_batch_statistics_in_eval():
    gs = rot2dOnR2(4)
    t = FieldType(gs, [gs.regular_repr, gs.irrep(1)])
    bn = IIDBatchNorm2d(t, track_running_stats=False)
    assert bn.running_mean is None and "running_mean" not in bn.state_dict()
    x = data(t)
    y_train = bn(GeometricTensor(x, t)).tensor
    bn.eval()
    torch.testing.assert_close(bn(GeometricTensor(x, t)).tensor, y_train)
    torch.testing.assert_close(bn.export()(x), y_train, atol=1e-5, rtol=1e-5)


def test_single_value_per_channel_rejected_in_training():
    gs = rot2dOnR2(4)
    t = FieldType(gs, [gs.regular_repr])
    with pytest.raises(ValueError, match="more than 1 value"):
        IIDBatchNorm1d(FieldType(gs, [gs.trivial_repr]))(GeometricTensor(torch.randn(1, 1), FieldType(gs, [gs.trivial_repr])))
    InnerBatchNorm(t)(GeometricTensor(torch.randn(1, 4), t))  # 4 values per field: fine


# ---------------------------------------------------------------------- export / state / grads / dtype
ALL_CLASSES = [InnerBatchNorm, NormBatchNorm, IIDBatchNorm2d, GNormBatchNorm, FieldNorm]


def _layer(cls, gs=None):
    gs = gs or flipRot2dOnR2(4, axis=0.0)
    t = permutation_type(gs) if cls is InnerBatchNorm else mixed_type(gs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return randomise(cls(t)), t


@pytest.mark.parametrize("cls", ALL_CLASSES)
def test_export_matches_in_eval(cls):
    m, t = _layer(cls)
    train_steps(m, t)
    m.eval()
    x = data(t, seed=5)
    plain = m.export()
    assert not any(isinstance(s, EquivariantModule) for s in plain.modules())
    torch.testing.assert_close(plain(x), m(GeometricTensor(x, t)).tensor, atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("cls", ALL_CLASSES)
def test_state_dict_round_trip(cls):
    m, t = _layer(cls)
    train_steps(m, t)
    sd = m.state_dict()
    assert not any(k.startswith("_") for k in sd), sorted(sd)  # derived buffers are not persistent
    fresh, _ = _layer(cls)
    randomise(fresh, seed=7)
    fresh.load_state_dict(sd)
    m.eval(), fresh.eval()
    x = data(t, seed=3)
    torch.testing.assert_close(fresh(GeometricTensor(x, t)).tensor, m(GeometricTensor(x, t)).tensor)


@pytest.mark.parametrize("cls", ALL_CLASSES)
def test_gradients_flow(cls):
    m, t = _layer(cls)
    x = data(t).requires_grad_()
    w = torch.randn(x.shape)
    (m(GeometricTensor(x, t)).tensor * w).sum().backward()
    assert x.grad is not None and torch.isfinite(x.grad).all() and x.grad.abs().sum() > 0
    for name, p in m.named_parameters():
        assert p.grad is not None and torch.isfinite(p.grad).all() and p.grad.abs().sum() > 0, name


@pytest.mark.parametrize("cls", ALL_CLASSES)
def test_float64(cls):
    m, t = _layer(cls)
    m = m.double()
    x = data(t, dtype=torch.float64)
    y = m(GeometricTensor(x, t)).tensor
    assert y.dtype == torch.float64
    check_train_equivariance(m, x, atol=1e-10)
    m.check_equivariance(x=x, atol=1e-10, rtol=1e-10)
    m.eval()
    assert m.export()(x).dtype == torch.float64


def test_deepcopy_and_repr():
    m, t = _layer(GNormBatchNorm)
    c = copy.deepcopy(m)
    x = data(t)
    torch.testing.assert_close(c(GeometricTensor(x, t)).tensor, m(GeometricTensor(x, t)).tensor)
    assert "eps=" in repr(m) and "momentum=" in repr(m)


# ---------------------------------------------------------------------- bad inputs
def test_bad_inputs():
    gs = rot2dOnR2(8)
    reg = FieldType(gs, [gs.regular_repr])
    vec = FieldType(gs, [gs.irrep(1)])
    with pytest.raises(ValueError, match="permutation"):
        InnerBatchNorm(vec)
    with pytest.raises(TypeError, match="FieldType"):
        NormBatchNorm([gs.regular_repr])
    bn = InnerBatchNorm(reg)
    with pytest.raises(TypeError, match="GeometricTensor"):
        bn(torch.randn(2, 8, 3, 3))
    with pytest.raises(ValueError, match="expects input type"):
        bn(GeometricTensor(torch.randn(2, 2, 3, 3), vec))
    with pytest.raises(ValueError, match="4-d"):
        IIDBatchNorm2d(reg)(GeometricTensor(torch.randn(2, 8, 3, 3, 3), reg))
    with pytest.raises(ValueError, match="R\\^3"):
        IIDBatchNorm3d(reg)
    with pytest.raises(ValueError, match="momentum"):
        GNormBatchNorm(reg, momentum=2.0)
    with pytest.raises(ValueError, match="eps"):
        FieldNorm(reg, eps=0.0)
