"""Layer measurements, margins and the two bounds: exact values, monotonicity, bad input."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from steerable import gspaces
from steerable.nn import FieldType, Linear, R2Conv
from steerable.theory import (bounds_from_layers, conv_operator_norm, equivariant_bound, margin_loss, margin_quantile, margins,
                              measure_layers, nbs18_bound)
from steerable.theory.layers import _equivariant_variance


def _circulant(filt: np.ndarray, n: int) -> np.ndarray:
    """Dense matrix of the circular cross-correlation by ``filt`` on an ``n x n`` grid."""
    co, ci, k, _ = filt.shape
    M = np.zeros((co, n, n, ci, n, n))
    for a in range(n):
        for b in range(n):
            for u in range(k):
                for v in range(k):
                    M[:, a, b, :, (a + u) % n, (b + v) % n] += filt[:, :, u, v]
    return M.reshape(co * n * n, ci * n * n)


def test_conv_operator_norm_is_the_circular_convolution_norm() -> None:
    rng = np.random.default_rng(0)
    filt = rng.normal(size=(3, 2, 3, 3))
    n = 6
    dense = np.linalg.norm(_circulant(filt, n), 2)
    assert abs(conv_operator_norm(torch.tensor(filt), (n, n)) - dense) < 1e-10 * dense
    # the zero-padded convolution is a compression of it: its norm is not larger
    conv = torch.nn.Conv2d(2, 3, 3, padding=1, bias=False).double()
    with torch.no_grad():
        conv.weight.copy_(torch.tensor(filt))
    J = torch.autograd.functional.jacobian(lambda t: conv(t.reshape(1, 2, n, n)).flatten(), torch.zeros(2 * n * n, dtype=torch.float64))
    assert np.linalg.norm(J.numpy(), 2) <= dense + 1e-10


def _conv(N: int, k: int = 3) -> R2Conv:
    gs = gspaces.rot2dOnR2(N)
    ti = FieldType(gs, [gs.regular_repr, gs.trivial_repr])
    to = FieldType(gs, [gs.regular_repr] * 2)
    torch.manual_seed(N)
    return R2Conv(ti, to, k).double()


@pytest.mark.parametrize("N", [1, 4, 8])
def test_equivariant_variance_matches_the_jacobian(N: int) -> None:
    """v = max(||sum_j A_j A_j^T||, ||sum_j A_j^T A_j||) over the basis filters A_j, computed by brute force."""
    conv = _conv(N)
    be = conv.basisexpansion
    p = be.dimension
    A = torch.stack([be(torch.eye(p, dtype=torch.float64)[j]) for j in range(p)])  # (p, out, in, k, k)
    A = A.reshape(p, A.shape[1], -1).numpy()
    want = max(np.linalg.norm(np.einsum("jab,jcb->ac", A, A), 2), np.linalg.norm(np.einsum("jab,jac->bc", A, A), 2))
    v, D = _equivariant_variance(conv)
    assert abs(v - want) < 1e-10 * want
    assert D == conv.out_type.size + conv.in_type.size * 9


def test_measured_linear_layer_equals_dense_norms() -> None:
    gs = gspaces.rot2dOnR2(8)
    ti, to = FieldType(gs, [gs.regular_repr] * 2), FieldType(gs, [gs.regular_repr] * 3)
    lin = Linear(ti, to, bias=False).double()
    net = torch.nn.Sequential()
    net.lin = lin

    class Wrap(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.lin = lin

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.lin(ti(x)).tensor

    (lay,), lip = measure_layers(Wrap(), torch.randn(2, ti.size, dtype=torch.float64))
    W = lin.matrix()[0].detach().numpy()
    assert lip == 1.0 and lay.equivariant and lay.kind == "Linear"
    assert abs(lay.spectral - np.linalg.norm(W, 2)) < 1e-10
    assert abs(lay.dense_sq - np.sum(W**2)) < 1e-10
    assert lay.v_dense == 24 and lay.v_equiv < lay.v_dense


def test_margins_match_direct_computation() -> None:
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(5, 4))
    x, y = torch.randn(37, 5), torch.randint(0, 4, (37,))
    m = margins(net, (x, y), batch_size=8)
    logits = net(x).double().detach().numpy()
    want = [logits[i, y[i]] - max(logits[i, j] for j in range(4) if j != y[i]) for i in range(37)]
    assert np.allclose(m.numpy(), want, atol=1e-6)
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, y), batch_size=10)
    assert torch.allclose(margins(net, loader), m)
    g = float(np.quantile(want, 0.8))
    assert g > 0
    assert margin_loss(m, g) == pytest.approx(np.mean(np.array(want) <= g))
    assert margin_loss(m, 0.0) == pytest.approx(np.mean(logits.argmax(1) != y.numpy()))


def _small_model() -> tuple[torch.nn.Module, torch.Tensor, torch.Tensor]:
    gs = gspaces.rot2dOnR2(4)
    t0 = FieldType(gs, [gs.trivial_repr])
    t1 = FieldType(gs, [gs.regular_repr] * 3)

    class Net(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.conv = R2Conv(t0, t1, 3, padding=1, bias=False)
            self.fc = torch.nn.Linear(3, 3, bias=False)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            h = torch.relu(self.conv(t0(x)).tensor)
            return self.fc(h.reshape(len(h), 3, 4, -1).amax(2).mean(-1))

    torch.manual_seed(0)
    return Net(), torch.randn(40, 1, 7, 7), torch.randint(0, 3, (40,))


def test_bounds_return_every_term_and_flag_plain_layers() -> None:
    net, x, y = _small_model()
    e = equivariant_bound(net, (x, y), gamma=0.05, delta=0.1)
    n = nbs18_bound(net, (x, y), gamma=0.05, delta=0.1)
    for b in (e, n):
        assert b.total == pytest.approx(b.margin_loss + b.complexity)
        assert b.complexity == pytest.approx(4 * math.sqrt((b.kl + b.log_term) / (b.sample_size - 1)))
        assert b.sample_size == 40 and b.depth == 2 and len(b.per_layer) == 2
        assert b.input_norm == pytest.approx(float(x.flatten(1).norm(dim=1).max()), rel=1e-6)
    assert e.non_equivariant_layers == ("fc",)
    assert e.tail_term < n.tail_term  # the equivariant Gaussian has the smaller variance
    assert e.norm_product == pytest.approx(n.norm_product)


def test_bounds_are_monotone() -> None:
    net, x, y = _small_model()
    layers, lip = measure_layers(net, x)
    for kind in ("nbs18", "equivariant"):
        by_m = [bounds_from_layers(kind, layers, lip, 5.0, m, 0.1, 0.05, 0.0).complexity for m in (100, 1000, 10000, 100000)]
        assert all(a > b for a, b in zip(by_m, by_m[1:]))
        by_g = [bounds_from_layers(kind, layers, lip, 5.0, 1000, g, 0.05, 0.0).complexity for g in (0.01, 0.1, 1.0)]
        assert all(a > b for a, b in zip(by_g, by_g[1:]))
        by_d = [bounds_from_layers(kind, layers, lip, 5.0, 1000, 0.1, d, 0.0).complexity for d in (0.01, 0.1, 0.5)]
        assert all(a > b for a, b in zip(by_d, by_d[1:]))
    # on the model itself: a larger margin gives a smaller complexity term
    assert nbs18_bound(net, (x, y), 0.5).complexity < nbs18_bound(net, (x, y), 0.05).complexity


def test_bad_input() -> None:
    net, x, y = _small_model()
    for d in (0.0, 1.0, -0.1, 2.0):
        with pytest.raises(ValueError, match="delta must be a number in"):
            nbs18_bound(net, (x, y), 0.1, d)
    for q in (0.0, 1.0, 1.5):
        with pytest.raises(ValueError, match="margin quantile must be a number in"):
            margin_quantile(torch.tensor([1.0, 2.0]), q)
    with pytest.raises(ValueError, match="<= 0"):
        margin_quantile(torch.tensor([-1.0, -2.0, 3.0]), 0.1)
    with pytest.raises(ValueError, match="gamma must be a positive"):
        equivariant_bound(net, (x, y), 0.0)
    empty = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x[:0], y[:0]), batch_size=4)
    with pytest.raises(ValueError, match="empty"):
        equivariant_bound(net, empty, 0.1)
    with pytest.raises(ValueError, match="empty"):
        margins(net, empty)
    with pytest.raises(ValueError, match="no linear layer"):
        measure_layers(torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Softmax(1)), x)
