"""Layers the other layer tests leave out: ``PointwiseAdaptiveMaxPool3D``, ``IIDBatchNorm1d``."""
from __future__ import annotations

import pytest
import torch

from steerable.gspaces import flipRot2dOnR2, octaOnR3, rot2dOnR2, rot3dOnR3
from steerable.nn import FieldType, GeometricTensor, IIDBatchNorm1d, PointwiseAdaptiveMaxPool3D
from _layer_helpers import check_export


def _randn(*shape: int, seed: int = 0, dtype=torch.float32) -> torch.Tensor:
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed), dtype=torch.float64).to(dtype)


# ---------------------------------------------------------------------- PointwiseAdaptiveMaxPool3D
@pytest.mark.parametrize("n,out", [(7, 1), (6, 3), (7, 3), (8, 2), (5, 5)])
def test_adaptive_max_pool3d_is_the_window_max_and_equivariant(n, out):
    gs = octaOnR3()  # 24 rotations of the cube, each a voxel permutation
    t = FieldType(gs, [gs.regular_repr, gs.trivial_repr])
    x = _randn(2, t.size, n, n, n, seed=n)
    m = PointwiseAdaptiveMaxPool3D(t, out)
    y = m(GeometricTensor(x, t)).tensor
    assert y.shape == (2, t.size, out, out, out) == m.evaluate_output_shape(x.shape)
    # torch's adaptive window i along an axis of length n is [floor(i n / out), ceil((i + 1) n / out))
    win = [slice((i * n) // out, -((-(i + 1) * n) // out)) for i in range(out)]
    for i in range(out):
        for j in range(out):
            for k in range(out):
                torch.testing.assert_close(y[:, :, i, j, k], x[:, :, win[i], win[j], win[k]].amax((2, 3, 4)))
    errors = m.check_equivariance(x=x, atol=0.0, rtol=0.0)  # max of permuted values: bit-exact
    assert len(errors) == 24
    check_export(m, x)


def test_adaptive_max_pool3d_global_max_and_errors():
    gs = rot3dOnR3()
    t = FieldType(gs, 3 * [gs.trivial_repr])
    x = _randn(4, 3, 6, 6, 6, seed=1)
    y = PointwiseAdaptiveMaxPool3D(t, 1)(GeometricTensor(x, t)).tensor
    torch.testing.assert_close(y.flatten(1), x.flatten(2).amax(2))
    with pytest.raises(ValueError):
        PointwiseAdaptiveMaxPool3D(FieldType(gs, [gs.irrep(1)]), 2)  # max does not commute with rotations of vectors


# ---------------------------------------------------------------------- IIDBatchNorm1d
def _bn_types():
    so2, o2, d4, c4 = rot2dOnR2(-1), flipRot2dOnR2(-1), flipRot2dOnR2(4), rot2dOnR2(4)
    return {
        "SO2": FieldType(so2, [so2.trivial_repr, so2.irrep(1), so2.irrep(2), so2.irrep(1)]),
        "O2": FieldType(o2, [o2.irrep(1, 0), o2.irrep(1, 1), o2.trivial_repr, o2.irrep(1, 2)]),
        "D4": FieldType(d4, [d4.regular_repr, d4.irrep(1, 1), d4.irrep(1, 0)]),
        "C4": FieldType(c4, [c4.regular_repr, c4.trivial_repr, c4.irrep(1)]),
    }


def _batch(t: FieldType, n: int = 64, seed: int = 0) -> torch.Tensor:
    # a non-zero mean in every channel: only its invariant part may be removed, the rest is signal
    return _randn(n, t.size, seed=seed) * 2.0 + 1.5


@pytest.mark.parametrize("name", list(_bn_types()))
def test_iid_batchnorm1d_equivariant_in_train_and_eval(name):
    t = _bn_types()[name]
    bn = IIDBatchNorm1d(t, momentum=0.5)
    with torch.no_grad():
        bn.weight.copy_(torch.linspace(0.5, 2.0, bn.weight.numel()))
        bn.bias.copy_(torch.linspace(-1.0, 1.0, bn.bias.numel()))
    G = t.fibergroup
    elements = G.elements if not G.continuous else [G.sample(s) for s in range(6)]
    x = GeometricTensor(_batch(t), t)
    bn.train()
    y = bn(x)
    for g in elements:  # the batch statistics of g.x are those of x, moved by g
        torch.testing.assert_close(bn(x.transform(g)).tensor, y.transform(g).tensor, atol=1e-4, rtol=1e-4)
    for s in range(3):
        bn(GeometricTensor(_batch(t, seed=10 + s), t))
    assert bn.running_mean.abs().max() > 0.1 and (bn.running_var - 1).abs().max() > 0.1  # not the initial stats
    bn.eval()
    bn.check_equivariance(x=_batch(t, 16, seed=3), elements=elements, atol=1e-4, rtol=1e-4)
    check_export(bn, _batch(t, 8, seed=4))


@pytest.mark.parametrize("name", ["SO2", "D4"])
def test_iid_batchnorm1d_normalises_each_field(name):
    """Affine-free output: invariant components have batch mean 0, every field mean ``|y_f|^2 / d_f = 1``."""
    t = _bn_types()[name]
    bn = IIDBatchNorm1d(t, affine=False, eps=1e-8).train()
    x = _batch(t, 256, seed=5).double()
    y = bn.double()(GeometricTensor(x, t)).tensor
    start = 0
    for r in t.representations:
        yf = y[:, start : start + r.size]
        torch.testing.assert_close(yf.square().sum(1).mean() / r.size, torch.tensor(1.0, dtype=torch.float64))
        mean = yf.mean(0)
        Q = torch.as_tensor(r.change_of_basis)
        triv = [i for i, psi in enumerate(sum(([p] * p.size for p in r.irrep_objects), [])) if psi.is_trivial()]
        # 1e-6, not round-off: the layer keeps its projection onto the trivial irreps as float32
        # buffers, which .double() widens (measured 7.4e-08 for the D4 regular field)
        torch.testing.assert_close((Q.T @ mean)[triv], torch.zeros(len(triv), dtype=torch.float64), atol=1e-6, rtol=0)
        start += r.size


def test_iid_batchnorm1d_with_length_axis_pools_over_it():
    """``(B, C, L)``: statistics over batch and ``L``, the same map as ``(B L, C)``."""
    t = _bn_types()["O2"]
    x = _randn(8, t.size, 5, seed=6) + 1.0
    a = IIDBatchNorm1d(t).train()(GeometricTensor(x, t)).tensor
    b = IIDBatchNorm1d(t).train()(GeometricTensor(x.transpose(1, 2).reshape(-1, t.size), t)).tensor
    torch.testing.assert_close(a, b.reshape(8, 5, t.size).transpose(1, 2), atol=1e-5, rtol=1e-5)
