"""escnn's builders (``kernels_<G>_act_R2/R3``) and basis classes over the Wigner-Eckart construction.

Each builder's basis is checked against its defining property at random points and at the
group's testing elements plus random ones, in float64:

    k(A(g) x) = rho_out(g) k(x) rho_in(g)^T,

and its dimension against escnn 1.0.11's for the same arguments (numbers read from escnn with
radii ``[0, 1, 2]``, ``sigma = 0.6``, written out below).
"""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch

import steerable.group as sg
from steerable import kernels as K
from steerable.group import (
    cyclic_group, dihedral_group, ico_group, o2_group, o3_group, octa_group, so2_group, so3_group,
)

R = [0.0, 1.0, 2.0]
S = 0.6


def _elements(G, seed: int, n: int = 4) -> list:
    rng = np.random.default_rng(seed)
    els = list(G.testing_elements()) if callable(getattr(G, "testing_elements", None)) else []
    if G.continuous or len(els) == 0:
        els = els[:6] + [G.sample(rng) for _ in range(n)]
    return els


def violation(basis: K.KernelBasis, in_repr, out_repr, action, d: int, seed: int = 0) -> float:
    """max |k(A(g) x) - rho_out(g) k(x) rho_in(g)^T| over elements and 40 random points,
    relative to max |k|."""
    rng = np.random.default_rng(seed)
    x = torch.from_numpy(rng.uniform(-2.5, 2.5, size=(40, d)))
    Kx = basis.sample(x)
    scale = float(Kx.abs().max())
    assert scale > 0
    worst = 0.0
    for g in _elements(in_repr.group, seed):
        A = torch.from_numpy(action(g))
        KAx = basis.sample(x @ A.T)
        ro, ri = torch.from_numpy(out_repr(g)), torch.from_numpy(in_repr(g))
        rhs = torch.einsum("pq,nbqr,sr->nbps", ro, Kx, ri)
        worst = max(worst, float((KAx - rhs).abs().max()) / scale)
    return worst


def _action(basis):
    return basis.gspace.basespace_action


# (name, builder call, escnn's dim)
C4, C5, C8, D4, D1, D3 = (cyclic_group(4), cyclic_group(5), cyclic_group(8), dihedral_group(4), dihedral_group(1),
                          dihedral_group(3))
CASES = [
    ("CN4_reg", lambda: K.kernels_CN_act_R2(C4.regular_representation, C4.regular_representation, R, S, maximum_frequency=2), 60),
    ("CN5_irreps", lambda: K.kernels_CN_act_R2(C5.irrep(1), C5.irrep(2), R, S, maximum_frequency=5), 24),
    ("DN4_reg", lambda: K.kernels_DN_act_R2(D4.regular_representation, D4.regular_representation, R, S, maximum_frequency=3), 168),
    ("Flip_reg", lambda: K.kernels_Flip_act_R2(D1.regular_representation, D1.regular_representation, R, S, maximum_frequency=2), None),
    ("SO2_1_2", lambda: K.kernels_SO2_act_R2(so2_group(6).irrep(1), so2_group(6).irrep(2), R, S, maximum_frequency=4), 12),
    ("O2_11_12", lambda: K.kernels_O2_act_R2(o2_group(6).irrep(1, 1), o2_group(6).irrep(1, 2), R, S, maximum_frequency=4), 6),
    ("Trivial_R2", lambda: K.kernels_Trivial_act_R2(cyclic_group(1).regular_representation, cyclic_group(1).regular_representation,
                                                    R, S, maximum_frequency=2), 15),
    ("SO2_subgroup_C4", lambda: K.kernels_SO2_subgroup_act_R2(C4.regular_representation, C4.irrep(1), 4, R, S, maximum_frequency=3), None),
    ("O2_subgroup_D4", lambda: K.kernels_O2_subgroup_act_R2(D4.regular_representation, D4.irrep(1, 1), (math.pi / 2, 4), R, S,
                                                            maximum_frequency=3), None),
    ("SO3_1_1", lambda: K.kernels_SO3_act_R3(so3_group(3).irrep(1), so3_group(3).irrep(1), R, S, maximum_frequency=2), 9),
    ("O3_11_02", lambda: K.kernels_O3_act_R3(o3_group(3).irrep(1, 1), o3_group(3).irrep(0, 2), R, S, maximum_frequency=3), 6),
    ("Octa_reg_triv", lambda: K.kernels_Octa_act_R3(octa_group().regular_representation, octa_group().trivial_representation, R, S,
                                                    maximum_frequency=3), 48),
    ("Ico_triv", lambda: K.kernels_Ico_act_R3(ico_group().trivial_representation, ico_group().trivial_representation, R, S,
                                              maximum_frequency=6), 6),
    ("Tetra_irreps", lambda: K.kernels_Tetra_act_R3(sg.tetrahedral_group().irreps()[-1], sg.tetrahedral_group().irreps()[-1], R, S,
                                                    maximum_frequency=2), None),
    ("CN4_R3_reg", lambda: K.kernels_CN_act_R3(C4.regular_representation, C4.regular_representation, R, S, maximum_frequency=2), 108),
    ("SO2_R3", lambda: K.kernels_SO2_act_R3(so2_group(6).irrep(1), so2_group(6).irrep(0), R, S, maximum_frequency=3), 18),
    ("DN3_dihedral_R3", lambda: K.kernels_DN_dihedral_act_R3(D3.regular_representation, D3.regular_representation, R, S,
                                                             maximum_frequency=2), 162),
    ("DN3_conical_R3", lambda: K.kernels_DN_conical_act_R3(D3.regular_representation, D3.regular_representation, R, S,
                                                           maximum_frequency=2), 162),
    ("O2_dihedral_R3", lambda: K.kernels_O2_dihedral_act_R3(o2_group(4).irrep(1, 1), o2_group(4).irrep(1, 2), R, S,
                                                            maximum_frequency=3), None),
    ("O2_conical_R3", lambda: K.kernels_O2_conical_act_R3(o2_group(4).irrep(1, 1), o2_group(4).irrep(0, 0), R, S,
                                                          maximum_frequency=3), None),
    ("Inv_reg", lambda: K.kernels_Inv_act_R3(cyclic_group(2).regular_representation, cyclic_group(2).regular_representation, R, S,
                                             maximum_frequency=3), 96),
    ("Trivial_R3", lambda: K.kernels_Trivial_act_R3(cyclic_group(1).regular_representation, cyclic_group(1).regular_representation,
                                                    R, S, maximum_frequency=2), 27),
    ("SO3_subgroup_C3", lambda: K.kernels_SO3_subgroup_act_R3(cyclic_group(3).regular_representation, cyclic_group(3).irrep(1),
                                                              (False, 3), R, S, maximum_frequency=2), None),
    ("O3_subgroup_inv", lambda: K.kernels_O3_subgroup_act_R3(cyclic_group(2).regular_representation, cyclic_group(2).irrep(1),
                                                             "inv", R, S, maximum_frequency=2), None),
]


@pytest.mark.parametrize("name, build, escnn_dim", CASES, ids=[c[0] for c in CASES])
def test_builder_is_steerable_and_matches_escnn_dim(name, build, escnn_dim) -> None:
    basis = build()
    assert isinstance(basis, K.KernelBasis)
    assert basis.dim == len(basis) == len(list(basis)) > 0
    if escnn_dim is not None:
        assert basis.dim == escnn_dim
    d = basis.gspace.dimensionality
    assert basis.sample(torch.zeros(3, d, dtype=torch.float64)).shape == (3, basis.dim, *basis.shape)
    assert violation(basis, basis.in_repr, basis.out_repr, _action(basis), d) < 1e-9


def test_violation_detects_a_broken_basis() -> None:
    """Control: the same check fails for a C4 basis tested against C8's elements."""
    basis = K.kernels_CN_act_R2(C4.irrep(1), C4.irrep(0), R, S, maximum_frequency=3)
    c8 = cyclic_group(8)
    A8 = lambda g: np.array([[math.cos(g.value * 2 * math.pi / 8), -math.sin(g.value * 2 * math.pi / 8)],  # noqa: E731
                             [math.sin(g.value * 2 * math.pi / 8), math.cos(g.value * 2 * math.pi / 8)]])
    bad = violation(basis, c8.irrep(1), c8.irrep(0), A8, 2)
    assert bad > 1e-2


def test_max_offset_filters_aliased_frequencies() -> None:
    r = C8.regular_representation
    full = K.kernels_CN_act_R2(r, C8.irrep(0), R, S, maximum_frequency=6)
    low = K.kernels_CN_act_R2(r, C8.irrep(0), R, S, maximum_frequency=6, max_offset=0)
    assert 0 < low.dim < full.dim
    assert all(a["offset"] == 0 for a in low) and any(a["offset"] > 0 for a in full)
    assert violation(low, low.in_repr, low.out_repr, _action(low), 2) < 1e-9


def test_adjoint_basis_is_steerable_for_the_conjugated_action() -> None:
    th = 0.3
    A = np.array([[math.cos(th), -math.sin(th)], [math.sin(th), math.cos(th)]]) @ np.diag([1.0, -1.0])
    r = D4.regular_representation
    plain = K.kernels_DN_act_R2(r, D4.irrep(1, 1), R, S, maximum_frequency=3)
    adj = K.kernels_DN_act_R2(r, D4.irrep(1, 1), R, S, maximum_frequency=3, adjoint=A)
    assert isinstance(adj, K.AdjointBasis) and adj.dim == plain.dim
    act = plain.gspace.basespace_action
    assert violation(adj, r, D4.irrep(1, 1), lambda g: A.T @ act(g) @ A, 2) < 1e-9
    assert violation(adj, r, D4.irrep(1, 1), act, 2) > 1e-3  # not for the original action


def test_union_basis_concatenates() -> None:
    r = C4.regular_representation
    a = K.kernels_CN_act_R2(r, r, R[:1], S, maximum_frequency=1)
    b = K.kernels_CN_act_R2(r, r, R[1:], S, maximum_frequency=2)
    u = K.UnionBasis([a, b])
    x = torch.randn(5, 2, dtype=torch.float64)
    assert u.dim == a.dim + b.dim
    torch.testing.assert_close(u.sample(x), torch.cat([a.sample(x), b.sample(x)], 1))
    assert [at["basis_idx"] for at in u] == [0] * a.dim + [1] * b.dim
    with pytest.raises(ValueError, match="same shape"):
        K.UnionBasis([a, K.kernels_CN_act_R2(C4.irrep(0), r, R, S, maximum_frequency=1)])


def test_kernels_on_point_are_intertwiners() -> None:
    for ri, ro, dim in [(C4.regular_representation, C4.regular_representation, 4),
                        (so3_group(2).irrep(1), so3_group(2).irrep(1), 1)]:
        b = K.kernels_on_point(ri, ro)
        assert b.dim == dim  # escnn: 4 and 1
        W = b.sample(torch.zeros(2, 0, dtype=torch.float64))[0]
        for g in _elements(ri.group, 0):
            lhs = torch.from_numpy(ro(g)) @ W @ torch.from_numpy(ri(g)).T
            torch.testing.assert_close(lhs, W, atol=1e-10, rtol=0)
    with pytest.raises(K.EmptyBasisError):
        K.kernels_on_point(C4.irrep(0), C4.irrep(1))


def test_filters_bases_transform_as_their_irreps() -> None:
    prof = K.GaussianRadialProfile(R, S)
    rho = torch.linspace(0, 3, 7, dtype=torch.float64)[:, None]
    torch.testing.assert_close(prof.sample(rho)[:, :, 0, 0], torch.exp(-((rho - torch.tensor(R)) ** 2) / (2 * S**2)))
    for shells, G in [(K.CircularShellsBasis(3, prof), o2_group(3)), (K.SphericalShellsBasis(2, prof), o3_group(2))]:
        d = shells.dimensionality
        x = torch.randn(20, d, dtype=torch.float64)
        Y = shells.sample(x)[:, :, 0, 0]
        rep = sg.directsum([G.irrep(*a["j"]) for a in shells if a["m"] == 0])
        assert rep.size == shells.dim == len(list(shells))
        for g in [G.sample(s) for s in range(3)]:
            A = torch.from_numpy(G.irrep(1, 1)(g))
            torch.testing.assert_close(shells.sample(x @ A.T)[:, :, 0, 0], Y @ torch.from_numpy(rep(g)).T, atol=1e-10, rtol=0)
    low = K.CircularShellsBasis(3, prof, filter=lambda a: a["irrep:frequency"] <= a["radius"])
    assert low.dim == 1 + 3 + 5  # ring 0: k = 0; ring 1: k <= 1; ring 2: k <= 2
    assert K.PointBasis().sample(torch.zeros(4, 0)).shape == (4, 1, 1, 1)


def test_wigner_eckart_classes_with_escnn_signatures() -> None:
    shells = K.CircularShellsBasis(3, K.GaussianRadialProfile(R, S))
    we = K.WignerEckartBasis(shells, (1, 1), (1, 2))
    assert we.dim == K.kernels_O2_act_R2(o2_group(3).irrep(1, 1), o2_group(3).irrep(1, 2), R, S, maximum_frequency=3).dim
    rwe = K.RestrictedWignerEckartBasis(shells, (None, 4), (1,), (0,))
    assert violation(rwe, rwe.in_repr, rwe.out_repr, _action(rwe), 2) < 1e-9
    full = K.SteerableKernelBasis(shells, C4.regular_representation, C4.regular_representation,
                                  K.RestrictedWignerEckartBasis, sg_id=(None, 4))
    assert full.dim == K.kernels_CN_act_R2(C4.regular_representation, C4.regular_representation, R, S, maximum_frequency=3).dim
    with pytest.raises(ValueError, match="sg_id"):
        K.SteerableKernelBasis(shells, C4.regular_representation, C4.regular_representation, K.RestrictedWignerEckartBasis)
    with pytest.raises(ValueError, match="C4"):
        K.SteerableKernelBasis(shells, C4.regular_representation, C4.regular_representation)  # C4 is not O(2)


def test_harmonic_polynomials_are_equivariant_polynomials() -> None:
    gen = K.HarmonicPolynomialR3Generator(3)
    x = torch.randn(10, 3, dtype=torch.float64)
    P = gen(x)
    assert P.shape == (10, 16) and gen.rho.size == 16
    torch.testing.assert_close(gen(2 * x)[:, 4:9], 4 * P[:, 4:9])  # homogeneous of degree 2
    for g in [gen.G.sample(s) for s in range(3)]:
        Rm = torch.from_numpy(gen.G.irrep(1)(g))
        torch.testing.assert_close(gen(x @ Rm.T), P @ torch.from_numpy(gen.rho(g)).T, atol=1e-10, rtol=0)


@pytest.mark.parametrize("builder, factory", [
    (K.kernels_FullIco_act_R3, "full_ico_group"), (K.kernels_FullOcta_act_R3, "full_octa_group"),
    (K.kernels_FullTetra_act_R3, "octa_group"), (K.kernels_Pyrito_act_R3, "full_tetra_group"),
])
def test_builders_for_groups_this_version_may_lack(builder, factory) -> None:
    """The full (with inversions/mirrors) finite groups: steerable.group's factories give the
    groups (escnn 1.0.11 itself raises NotImplementedError for 'fulltetra' and pyrito)."""
    make = getattr(sg, factory, None)
    if make is None:
        r = cyclic_group(2).regular_representation
        with pytest.raises(ValueError, match=factory):
            builder(r, r, R, S, maximum_frequency=2)
        return
    G = make()
    b = builder(G.regular_representation, G.trivial_representation, R, S, maximum_frequency=3)
    assert violation(b, b.in_repr, b.out_repr, _action(b), 3) < 1e-9


def test_builder_errors_name_what_was_expected() -> None:
    r = C4.regular_representation
    with pytest.raises(ValueError, match="maximum_frequency or max_offset"):
        K.kernels_CN_act_R2(r, r, R, S)
    with pytest.raises(ValueError, match="DihedralGroup"):
        K.kernels_DN_act_R2(r, r, R, S, maximum_frequency=2)
    with pytest.raises(ValueError, match="different groups"):
        K.kernels_CN_act_R2(r, C5.regular_representation, R, S, maximum_frequency=2)
    with pytest.raises(ValueError, match="sigma"):
        K.kernels_CN_act_R2(r, r, R, [0.6, 0.6], maximum_frequency=2)
    with pytest.raises(ValueError, match="max_offset"):
        K.kernels_CN_act_R3(r, r, R, S, maximum_frequency=2, max_offset=1)
    with pytest.raises(ValueError, match=r"points must .* \(N, 2\)"):
        K.kernels_CN_act_R2(r, r, R, S, maximum_frequency=2).sample(torch.zeros(3, 3))


# escnn 1.0.11's positional parameters (read with inspect.signature), so positional calls port
_ESCNN_PARAMS = {
    "kernels_CN_act_R2": "in_repr out_repr radii sigma maximum_frequency max_offset filter",
    "kernels_DN_act_R2": "in_repr out_repr radii sigma axis maximum_frequency max_offset adjoint filter",
    "kernels_O2_act_R2": "in_repr out_repr radii sigma maximum_frequency axis adjoint filter",
    "kernels_Flip_act_R2": "in_repr out_repr radii sigma axis maximum_frequency adjoint filter",
    "kernels_SO2_subgroup_act_R2": "in_repr out_repr sg_id radii sigma maximum_frequency adjoint filter",
    "kernels_O2_subgroup_act_R2": "in_repr out_repr sg_id radii sigma maximum_frequency axis adjoint filter",
    "kernels_SO3_act_R3": "in_repr out_repr radii sigma maximum_frequency adjoint filter",
    "kernels_CN_act_R3": "in_repr out_repr radii sigma maximum_frequency max_offset adjoint filter",
    "kernels_Inv_act_R3": "in_repr out_repr radii sigma maximum_frequency filter",
    "kernels_Trivial_act_R3": "in_repr out_repr radii sigma maximum_frequency filter",
    "kernels_Ico_act_R3": "in_repr out_repr radii sigma maximum_frequency adjoint filter",
    "kernels_on_point": "in_repr out_repr",
}


@pytest.mark.parametrize("name", list(_ESCNN_PARAMS))
def test_builder_signatures_are_escnns(name) -> None:
    import inspect

    fn = getattr(K, name)
    assert fn.__name__ == name
    assert " ".join(inspect.signature(fn).parameters) == _ESCNN_PARAMS[name]
