"""Defects, exact integer determinants, size reduction and LLL: the conditions they guarantee, and bad input."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from steerable.lattice import (gram, hermite_factor, integer_det, is_lll_reduced, is_size_reduced, is_unimodular, lll,
                               log_defect, normalized_gram, orthogonality_defect, size_reduce)


def _random_orthogonal(n: int, g: torch.Generator) -> torch.Tensor:
    q, r = torch.linalg.qr(torch.randn(n, n, generator=g, dtype=torch.float64))
    return q * torch.sign(torch.diagonal(r))


def test_defect_is_one_exactly_for_orthogonal_bases():
    g = torch.Generator().manual_seed(0)
    for n in (2, 5, 9):
        O = _random_orthogonal(n, g) * torch.linspace(0.5, 3.0, n, dtype=torch.float64)  # orthogonal, unequal lengths
        assert abs(float(log_defect(O))) < 1e-12
        assert abs(float(orthogonality_defect(O)) - 1.0) < 1e-12
    B = torch.randn(500, 4, 4, generator=g, dtype=torch.float64)
    ld = log_defect(B)
    assert bool((ld > 1e-6).all())  # random bases are never orthogonal
    # Hadamard: defect >= 1; and the closed form for the shear [[1, t], [0, 1]]: sqrt(1 + t^2)
    t = torch.tensor(0.7, dtype=torch.float64)
    assert torch.isclose(orthogonality_defect(torch.tensor([[1.0, t], [0.0, 1.0]], dtype=torch.float64)), torch.sqrt(1 + t * t))


def test_defect_is_invariant_and_stable():
    g = torch.Generator().manual_seed(1)
    B = torch.randn(20, 6, 6, generator=g, dtype=torch.float64)
    O = _random_orthogonal(6, g)
    ref = log_defect(B)
    assert torch.allclose(log_defect(3.7 * O @ B), ref, rtol=1e-10, atol=1e-12)
    assert torch.allclose(normalized_gram(-2.5 * O @ B), normalized_gram(B), rtol=1e-10, atol=1e-12)
    assert torch.allclose(torch.linalg.det(normalized_gram(B)), torch.ones(20, dtype=torch.float64))
    assert torch.allclose(gram(B), B.transpose(-1, -2) @ B)
    # no overflow where the product of norms would overflow float64
    big = B[0] * 1e200
    assert torch.isclose(log_defect(big), ref[0], rtol=1e-10)
    hf = hermite_factor(B)
    assert torch.allclose(hermite_factor(5 * B), hf) and bool((hf > 0).all())


def test_integer_det_exact():
    assert integer_det([[2, 1], [7, 4]]) == 1
    assert integer_det([[0, 1], [1, 0]]) == -1
    assert integer_det([[1, 2], [2, 4]]) == 0
    big = [[10**20, 1], [10**20 - 1, 1]]
    assert integer_det(big) == 1  # beyond float64's exact range
    rng = np.random.default_rng(0)
    for _ in range(20):
        m = rng.integers(-5, 6, size=(5, 5))
        assert integer_det(m) == round(np.linalg.det(m))
    with pytest.raises(ValueError, match="integer"):
        integer_det([[0.5, 0], [0, 1]])
    with pytest.raises(ValueError, match="square"):
        integer_det([[1, 2, 3]])


@pytest.mark.parametrize("delta", [0.75, 0.99])
def test_lll_conditions_and_unimodularity(delta):
    g = torch.Generator().manual_seed(2)
    for n in (3, 6, 10):
        B = torch.randn(15, n, n, generator=g, dtype=torch.float64)
        R, Q = lll(B, delta)
        assert Q.dtype == torch.int64
        assert torch.allclose(R, B @ Q.double())
        assert all(is_unimodular(Q))
        assert bool(is_lll_reduced(R, delta).all())
        assert bool((log_defect(R) <= log_defect(B) + 1e-12).all())
    # the checker is not vacuous: unreduced random bases fail it
    assert not bool(is_lll_reduced(torch.randn(50, 6, 6, generator=g, dtype=torch.float64), delta).all())


def test_float_lll_matches_exact_rational_lll():
    g = torch.Generator().manual_seed(3)
    B = torch.randn(12, 5, 5, generator=g, dtype=torch.float64)
    Bi = torch.randint(-20, 21, (6, 4, 4), generator=g).double()
    Bi = Bi[torch.linalg.det(Bi).abs() > 0.5]
    for X in (B, Bi):
        _, Qf = lll(X, 0.99)
        _, Qe = lll(X, 0.99, exact=True)
        assert torch.equal(Qf, Qe)


def test_lll_reduces_a_sheared_orthogonal_basis_completely():
    U = torch.tensor([[1, 3, -2], [0, 1, 4], [0, 0, 1]]) @ torch.tensor([[1, 0, 0], [5, 1, 0], [-1, 2, 1]])
    D = torch.diag(torch.tensor([1.0, 1.3, 1.7], dtype=torch.float64))
    R, Q = lll(D @ U.double(), 0.99)
    assert abs(float(log_defect(R))) < 1e-12
    assert integer_det(Q) in (1, -1)


def test_size_reduce():
    g = torch.Generator().manual_seed(4)
    B = torch.randn(30, 7, 7, generator=g, dtype=torch.float64)
    S, Q = size_reduce(B)
    assert bool(is_size_reduced(S).all()) and not bool(is_size_reduced(B).all())
    assert torch.equal(torch.triu(Q), Q) and torch.equal(torch.diagonal(Q, dim1=-2, dim2=-1), torch.ones(30, 7, dtype=torch.int64))
    # size reduction keeps the Gram-Schmidt vectors, so it never lengthens one column's projection
    assert bool((log_defect(S) <= log_defect(B) + 1e-12).all())


def test_bad_input():
    with pytest.raises(ValueError, match="square"):
        lll(torch.randn(3, 4))
    with pytest.raises(ValueError, match="square"):
        log_defect(torch.randn(4))
    with pytest.raises(ValueError, match="singular"):
        lll(torch.tensor([[1.0, 2.0], [2.0, 4.0]]))
    with pytest.raises(ValueError, match="singular"):
        log_defect(torch.stack([torch.eye(3), torch.zeros(3, 3)]))
    with pytest.raises(ValueError, match="non-finite"):
        size_reduce(torch.tensor([[1.0, float("nan")], [0.0, 1.0]]))
    with pytest.raises(ValueError, match="non-finite"):
        log_defect(torch.tensor([[1.0, float("inf")], [0.0, 1.0]]))
    for bad in (0.25, 0.1, 1.01, -1.0):
        with pytest.raises(ValueError, match=r"\(0.25, 1\]"):
            lll(torch.eye(3), delta=bad)
    with pytest.raises(TypeError, match="delta"):
        lll(torch.eye(3), delta="0.9")
    with pytest.raises(TypeError, match="real"):
        log_defect(torch.eye(2, dtype=torch.complex64))
    assert lll(torch.eye(3), delta=1.0)[1].tolist() == torch.eye(3, dtype=torch.int64).tolist()


def test_matches_fpylll_where_installed():
    fpylll = pytest.importorskip("fpylll")
    g = torch.Generator().manual_seed(5)
    ours, theirs = [], []
    for _ in range(20):
        Bi = torch.randint(-50, 51, (8, 8), generator=g)
        if integer_det(Bi) == 0:
            continue
        A = fpylll.IntegerMatrix.from_matrix(Bi.T.tolist())  # fpylll's basis vectors are rows
        fpylll.LLL.reduction(A, delta=0.99)
        F = torch.tensor([list(A[i]) for i in range(8)], dtype=torch.float64).T
        assert bool(is_lll_reduced(F, 0.99, eta=0.51))
        ours.append(float(log_defect(lll(Bi.double(), 0.99)[0])))
        theirs.append(float(log_defect(F)))
    # LLL-reduced bases are not unique; the two implementations agree on average defect
    assert abs(np.mean(ours) - np.mean(theirs)) <= 0.1 * np.mean(theirs)
