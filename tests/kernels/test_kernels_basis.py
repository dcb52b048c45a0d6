"""The analytic steerable kernel bases: steerability, completeness, independence, attributes,
restriction.

For every gspace of :data:`_kernel_cases.CASES` (planar and spatial groups, flips with grid
and non-grid axes, and restricted gspaces) and pairs of representations (trivial, irreps,
regular, quotient, band-limited regular, direct sums), every basis element must satisfy
``rho_out(g) K(A(g)^-1 x) rho_in(g)^T = K(x)`` exactly on the grid for the grid-exact elements
and at random continuous points for random group elements, and the basis must span exactly
the solution space found by the independent SVD solver.
"""
from __future__ import annotations

import numpy as np
import pytest
import torch

from _kernel_cases import (  # noqa: F401 (single_thread_blas: autouse fixture)
    CASES, TOL, Case, basis_of, continuous_violation, flat, gspace_of, grid_violation, max_angle,
    pairs_of, residual_outside, single_thread_blas,
)
from steerable.group import directsum
from steerable.gspaces import flipRot2dOnR2, flipRot3dOnR3, rot2dOnR2, rot3dOnR3, trivialOnR2, trivialOnR3
from steerable.kernels import GridKernelBasis, RingSpec, grid_points, solve_kernel_constraint
from steerable.kernels.harmonics import sample_harmonics


def _bases(case: Case):
    found = [(p, basis_of(case.name, i)) for i, p in enumerate(pairs_of(case.name))]
    bases = [(p, b) for p, b in found if b is not None]
    assert bases, f"{case.name}: no pair has a kernel basis"
    return bases


@pytest.mark.parametrize("case", CASES, ids=repr)
def test_steerable_on_grid(case: Case) -> None:
    gs = gspace_of(case.name)
    assert gs.testing_elements, f"{gs} has no grid-exact element to test with"
    for (ri, ro), basis in _bases(case):
        err = grid_violation(basis, gs)
        assert err < TOL, f"{gs}: {ri.name} -> {ro.name}: constraint violated on the grid by {err:.2e}"


@pytest.mark.parametrize("case", CASES, ids=repr)
def test_steerable_at_continuous_points(case: Case) -> None:
    gs = gspace_of(case.name)
    for k, ((ri, ro), basis) in enumerate(_bases(case)):
        err = continuous_violation(basis, gs, seed=k)
        assert err < TOL, f"{gs}: {ri.name} -> {ro.name}: constraint violated at random points by {err:.2e}"


@pytest.mark.parametrize("case", CASES, ids=repr)
def test_complete_against_numerical_solver(case: Case) -> None:
    """Same space as the SVD of the sampled constraint (pairs small enough for the dense solver)."""
    gs = gspace_of(case.name)
    checked = 0
    for (ri, ro), basis in _bases(case):
        if ri.size * ro.size * basis.coefficients.shape[-1] > 1000 and checked:
            continue  # the dense solver's cost grows like (unknowns)^3
        S = solve_kernel_constraint(gs, ri, ro, basis.spec)
        assert basis.dim == S.shape[0], f"{gs}: {ri.name} -> {ro.name}: {basis.dim} analytic vs {S.shape[0]} numerical"
        assert max_angle(flat(basis.coefficients), flat(S)) < 1e-6, f"{gs}: {ri.name} -> {ro.name}: spans differ"
        checked += 1


@pytest.mark.parametrize("case", CASES, ids=repr)
def test_no_zero_and_no_dependent_elements(case: Case) -> None:
    for (ri, ro), basis in _bases(case):
        K = flat(basis.sample_grid())
        norms = np.linalg.norm(K, axis=0)
        assert norms.min() > 1e-3, f"{ri.name} -> {ro.name}: a basis element vanishes on the grid"
        np.testing.assert_allclose(norms, 1.0, atol=1e-9)  # normalised on the grid
        s = np.linalg.svd(K, compute_uv=False)
        assert s[-1] / s[0] > 1e-6, f"{ri.name} -> {ro.name}: grid Gram matrix is singular (cond {s[0] / s[-1]:.1e})"
        assert len(basis.attributes) == basis.dim == len(basis)


def test_no_pair_without_kernel_is_silently_accepted() -> None:
    """Pairs for which the cases return ``None`` must really have no kernel (solver agrees)."""
    for case in CASES:
        gs = gspace_of(case.name)
        for i, (ri, ro) in enumerate(pairs_of(case.name)):
            if basis_of(case.name, i) is None:
                spec = RingSpec.default(case.kernel_size, gs.dimensionality)
                assert solve_kernel_constraint(gs, ri, ro, spec).shape[0] == 0, f"{gs}: {ri.name} -> {ro.name}"


# ---------------------------------------------------------------------- attributes
def test_attributes_describe_the_elements() -> None:
    gs = flipRot2dOnR2(4, axis=0.0)
    G = gs.fibergroup
    rho_in = directsum([G.irrep(1, 1), G.trivial_representation])
    basis = GridKernelBasis(gs, rho_in, G.regular_representation, 5)
    H = sample_harmonics(basis.spec, torch.from_numpy(grid_points(5, 2)))
    blocks = []  # (ring, J) of every harmonic row
    for i, (r, kmax) in enumerate(zip(basis.spec.radii, basis.spec.max_frequencies)):
        for k in range(kmax + 1):
            blocks += [(r, (0, 0) if k == 0 else (1, k))] * (1 if k == 0 else 2)
    assert len(blocks) == H.shape[0]
    for a, W in zip(basis.attributes, basis.coefficients):
        assert {"radius", "sigma", "frequency", "harmonic", "in_irrep", "out_irrep", "in_irrep_index", "out_irrep_index"} <= set(a)
        assert a["in_irrep"] == rho_in.irreps[a["in_irrep_index"]]
        assert a["out_irrep"] == G.regular_representation.irreps[a["out_irrep_index"]]
        assert a["frequency"] == a["harmonic"][-1]
        used = {blocks[m] for m in np.nonzero(np.abs(W.numpy()).sum((0, 1)) > 1e-12)[0]}
        assert used == {(a["radius"], a["harmonic"])}, "an element uses harmonics other than its attributes say"


@pytest.mark.parametrize("keep", [
    lambda a: a["frequency"] <= 1,
    lambda a: a["radius"] > 0,
    lambda a: a["in_irrep"] == (1, 1),
])
def test_filter_selects_exactly_the_matching_elements(keep) -> None:
    gs = flipRot2dOnR2(4, axis=0.0)
    G = gs.fibergroup
    rho = directsum([G.irrep(1, 1), G.trivial_representation, G.irrep(0, 2)])
    full = GridKernelBasis(gs, rho, rho, 5)
    sub = GridKernelBasis(gs, rho, rho, 5, filter=keep)
    expected = [i for i, a in enumerate(full.attributes) if keep(a)]
    assert 0 < sub.dim == len(expected) < full.dim
    assert all(keep(a) for a in sub.attributes)
    def drop_idx(attrs):  # "idx" is an element's position in its own basis
        return [{k: v for k, v in a.items() if k != "idx"} for a in attrs]

    assert drop_idx(sub.attributes) == drop_idx([full.attributes[i] for i in expected])
    Kf, Ks = flat(full.sample_grid()), flat(sub.sample_grid())
    np.testing.assert_allclose(Ks, Kf[:, expected], atol=1e-12)


def test_filter_rejecting_everything_raises() -> None:
    gs = rot2dOnR2(4)
    with pytest.raises(ValueError):
        GridKernelBasis(gs, gs.regular_repr, gs.regular_repr, 5, filter=lambda a: False)


# ---------------------------------------------------------------------- restriction
RESTRICTIONS = [
    ("C8->C4 regular", lambda: rot2dOnR2(8), 4, lambda G: (G.regular_representation, G.regular_representation)),
    ("D8->D4[axis 1]", lambda: flipRot2dOnR2(8, axis=0.0), (1, 4), lambda G: (G.regular_representation, G.irrep(1, 3))),
    ("D8->C8", lambda: flipRot2dOnR2(8, axis=0.0), (None, 8), lambda G: (G.irrep(1, 1), G.regular_representation)),
    ("SO2->C4", lambda: rot2dOnR2(-1, maximum_frequency=3), 4, lambda G: (G.irrep(1) + G.irrep(3), G.irrep(2) + G.irrep(0))),
    ("O2->D4", lambda: flipRot2dOnR2(-1, maximum_frequency=3, axis=0.0), (0.0, 4), lambda G: (G.irrep(1, 1) + G.irrep(1, 0), G.irrep(1, 2))),
    ("O2->SO2", lambda: flipRot2dOnR2(-1, maximum_frequency=3, axis=0.0), (None, -1), lambda G: (G.irrep(1, 1), G.irrep(1, 2) + G.irrep(1, 0))),
    ("SO3->SO2", lambda: rot3dOnR3(), ("so2",), lambda G: (G.irrep(1), G.irrep(2))),
    ("O3->SO3", lambda: flipRot3dOnR3(), "so3", lambda G: (G.irrep(1, 1), G.irrep(0, 1))),
    ("O3->cyl4", lambda: flipRot3dOnR3(), ("cyl", 4), lambda G: (G.irrep(0, 1), G.irrep(1, 0))),
]


@pytest.mark.parametrize("name,make,sub_id,reps", RESTRICTIONS, ids=[r[0] for r in RESTRICTIONS])
def test_parent_basis_lies_in_restricted_basis(name, make, sub_id, reps) -> None:
    """A G-steerable kernel is H-steerable: the parent basis, expressed in the restricted
    representations (same matrices), lies in the span of the subgroup's basis."""
    gs = make()
    rho_in, rho_out = reps(gs.fibergroup)
    sub, incl, restr = gs.restrict(sub_id)
    parent = GridKernelBasis(gs, rho_in, rho_out, 5)
    child = GridKernelBasis(sub, rho_in.restrict(sub_id), rho_out.restrict(sub_id), 5)
    assert child.spec == parent.spec
    assert child.dim >= parent.dim
    # same harmonic-coefficient space: compare the coefficient tensors directly
    assert residual_outside(flat(child.coefficients), flat(parent.coefficients)) < 1e-8
    # ... and the sampled kernels at random points (independent of the coefficient layout)
    x = torch.from_numpy(np.random.default_rng(0).normal(size=(50, gs.dimensionality)) * 1.5)
    assert residual_outside(flat(child.sample(x).transpose(0, 1)), flat(parent.sample(x).transpose(0, 1))) < 1e-8


def test_restriction_to_trivial_group_gives_all_kernels() -> None:
    """For the trivial subgroup the constraint is void: every harmonic of every entry is a kernel."""
    gs = rot2dOnR2(4)
    sub, _, _ = gs.restrict(1)
    rho = gs.regular_repr.restrict(1)
    b = GridKernelBasis(sub, rho, rho, 5)
    M = sample_harmonics(b.spec, torch.zeros(1, 2, dtype=torch.float64)).shape[0]
    assert b.dim == rho.size * rho.size * M
    plain = GridKernelBasis(trivialOnR2(), trivialOnR2().trivial_repr, trivialOnR2().trivial_repr, 5)
    assert plain.dim == M
    t3 = trivialOnR3()
    assert GridKernelBasis(t3, t3.trivial_repr, t3.trivial_repr, 3).dim == sample_harmonics(
        RingSpec.default(3, 3), torch.zeros(1, 3, dtype=torch.float64)).shape[0]


# ---------------------------------------------------------------------- gspace identity in caches
def test_gspaces_with_nearly_equal_axes_do_not_share_bases() -> None:
    """Two mirror axes that agree to 6 digits are still different groups: the cached intertwiners
    of one must not be reused for the other (the basis of each must be steerable for it)."""
    G = flipRot2dOnR2(4, axis=0.0).fibergroup
    psi_in, psi_out = G.irrep(1, 1), G.trivial_representation
    for a, b in [(0.1234567, 0.1234568), (1234567.0, 1234568.0)]:
        gs_a, gs_b = flipRot2dOnR2(4, axis=a), flipRot2dOnR2(4, axis=b)
        assert gs_a != gs_b
        for gs in (gs_a, gs_b):
            basis = GridKernelBasis(gs, psi_in, psi_out, 5)
            assert continuous_violation(basis, gs, seed=0) < 1e-9, f"axis {gs}"


# ---------------------------------------------------------------------- user band limits
@pytest.mark.parametrize("dim,ks", [(2, 3), (2, 4), (2, 5), (2, 7), (3, 3), (3, 4), (3, 5)])
def test_user_band_limits_never_alias(dim: int, ks: int) -> None:
    """Whatever sigma / cutoff the user picks, the harmonics kept are linearly independent on the
    grid: the trivial group's basis (every harmonic) has a full-rank Gram matrix and no element
    vanishes."""
    gs = trivialOnR2() if dim == 2 else trivialOnR3()
    for sigma in (0.3, 0.6, 1.0, 2.0):
        for cutoff in (None, 3.0, 100.0):
            b = GridKernelBasis(gs, gs.trivial_repr, gs.trivial_repr, ks, sigma=sigma, frequencies_cutoff=cutoff)
            K = flat(b.sample_grid())
            s = np.linalg.svd(K, compute_uv=False)
            assert K.shape[1] <= K.shape[0] and s[-1] / s[0] > 1e-7, (sigma, cutoff, b.spec.max_frequencies)
            # the linear-independence guard never lowers the frequencies of narrow rings
            if sigma <= 0.6 and cutoff in (None, 3.0):
                rule = RingSpec.default(ks, dim, sigma=sigma, frequencies_cutoff=cutoff, _dealias=False)
                assert b.spec == rule
