"""NeuralLatticeReducer: exact integer unimodular Q, O(n)/scale invariance, signed-permutation equivariance."""
from __future__ import annotations

import pytest
import torch

from steerable.lattice import integer_det, log_defect, size_reduce
from steerable.lattice.neural import NeuralLatticeReducer


def _signed_permutation(n: int, g: torch.Generator) -> torch.Tensor:
    perm = torch.randperm(n, generator=g)
    signs = torch.randint(0, 2, (n,), generator=g) * 2 - 1
    P = torch.zeros(n, n, dtype=torch.int64)
    P[perm, torch.arange(n)] = signs  # column i is s_i e_{pi(i)}: (BP)_i = s_i b_{pi(i)}
    return P


def _trained_like(n: int, seed: int) -> NeuralLatticeReducer:
    # random non-zero head so the learned branch is exercised, not just the Babai fallback
    torch.manual_seed(seed)
    red = NeuralLatticeReducer(n)
    with torch.no_grad():
        red.head.weight.normal_(0, 0.3)
        red.head.bias.normal_(0, 0.1)
    return red


@pytest.mark.parametrize("n", [4, 8])
def test_q_is_integer_and_unimodular_exactly(n):
    g = torch.Generator().manual_seed(n)
    B = torch.randn(100, n, n, generator=g, dtype=torch.float64)
    red = _trained_like(n, 0)
    with torch.no_grad():
        BQ, Q = red(B)
    assert Q.dtype == torch.int64
    assert all(abs(integer_det(q)) == 1 for q in Q)
    assert torch.allclose(BQ, B @ Q.double())
    assert bool((Q != torch.eye(n, dtype=torch.int64)).any())  # it does move
    assert bool((log_defect(BQ) <= log_defect(B) + 1e-12).all())  # every accepted move shortens a column


@pytest.mark.parametrize("n", [4, 8])
def test_equivariance_under_signed_permutations(n):
    g = torch.Generator().manual_seed(10 + n)
    red = _trained_like(n, 1)
    B = torch.randn(100, n, n, generator=g, dtype=torch.float64)
    Ps = torch.stack([_signed_permutation(n, g) for _ in range(100)])
    with torch.no_grad():
        _, Q = red(B)
        _, QP = red(B @ Ps.double())
    # P^-1 = P^T for signed permutations; the identity is exact in integers
    assert torch.equal(QP, Ps.transpose(-1, -2) @ Q @ Ps)
    # control: a generic P is not a symmetry, and the check above would catch a non-equivariant map
    assert not torch.equal(Q[1:], Q[:-1])


@pytest.mark.parametrize("n", [4, 8])
def test_output_defect_invariant_to_rotation_and_scale(n):
    g = torch.Generator().manual_seed(20 + n)
    red = _trained_like(n, 2)
    B = torch.randn(50, n, n, generator=g, dtype=torch.float64)
    q, r = torch.linalg.qr(torch.randn(50, n, n, generator=g, dtype=torch.float64))
    O = q * torch.sign(torch.diagonal(r, dim1=-2, dim2=-1))[:, None, :]
    O[:, :, 0] *= torch.where(torch.rand(50, generator=g) < 0.5, -1.0, 1.0)[:, None].double()  # reflections too
    c = 0.1 + 9.9 * torch.rand(50, 1, 1, generator=g, dtype=torch.float64)
    with torch.no_grad():
        ref = log_defect(red(B)[0])
        moved = log_defect(red(c * O @ B)[0])
    assert torch.allclose(moved, ref, rtol=1e-6, atol=0)


def test_untrained_reducer_beats_size_reduction():
    g = torch.Generator().manual_seed(3)
    B = torch.randn(200, 8, 8, generator=g, dtype=torch.float64)
    with torch.no_grad():
        neural = log_defect(NeuralLatticeReducer(8)(B)[0]).mean()
    assert neural < log_defect(size_reduce(B)[0]).mean()


def test_straight_through_gradients_reach_every_parameter():
    red = _trained_like(4, 3)
    B = torch.randn(32, 4, 4, dtype=torch.float64, generator=torch.Generator().manual_seed(4))
    loss = red.loss(B)
    loss.backward()
    assert torch.isfinite(loss)
    for name, p in red.named_parameters():
        assert p.grad is not None and bool(torch.isfinite(p.grad).all()), name
    assert float(red.head.weight.grad.abs().sum()) > 0


def test_bad_input():
    red = NeuralLatticeReducer(4)
    with pytest.raises(ValueError, match="n = 4"):
        red(torch.randn(2, 5, 5))
    with pytest.raises(ValueError, match="square"):
        red(torch.randn(2, 4, 3))
    with pytest.raises(ValueError, match="singular"):
        red(torch.zeros(4, 4))
    with pytest.raises(ValueError, match="non-finite"):
        red(torch.full((4, 4), float("nan")))
    with pytest.raises(ValueError, match="n must be"):
        NeuralLatticeReducer(1)
    with pytest.raises(ValueError, match="steps"):
        NeuralLatticeReducer(4, steps=0)
