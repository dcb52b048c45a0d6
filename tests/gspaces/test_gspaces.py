"""GSpaces: the action on the base space, on sampled signals, grid-exact elements, restriction."""
from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
import torch
from threadpoolctl import threadpool_limits

from steerable.gspaces import (
    GSpace, conicalOnR3, dihedralOnR3, flip2dOnR2, flipRot2dOnR2, flipRot3dOnR3, icoOnR3, invOnR3, octaOnR3,
    rot2dOnR2, rot2dOnR3, rot3dOnR3, tetraOnR3, trivialOnR2, trivialOnR3,
)


@pytest.fixture(autouse=True)
def _single_thread_blas():
    with threadpool_limits(1):
        yield


def _signed_perms(d: int) -> list[np.ndarray]:
    out = []
    for perm in itertools.permutations(range(d)):
        for signs in itertools.product((1.0, -1.0), repeat=d):
            m = np.zeros((d, d))
            for r, (c, s) in enumerate(zip(perm, signs)):
                m[r, c] = s
            out.append(m)
    return out


# (gspace factory, number of grid-exact elements = |G ∩ signed permutations|)
GSPACES = {
    "C1": (lambda: rot2dOnR2(1), 1), "C2": (lambda: rot2dOnR2(2), 2), "C3": (lambda: rot2dOnR2(3), 1),
    "C4": (lambda: rot2dOnR2(4), 4), "C6": (lambda: rot2dOnR2(6), 2), "C8": (lambda: rot2dOnR2(8), 4),
    "C16": (lambda: rot2dOnR2(16), 4), "SO2": (lambda: rot2dOnR2(-1), 4),
    "D1": (lambda: flipRot2dOnR2(1, axis=0.0), 2), "D3": (lambda: flipRot2dOnR2(3, axis=0.0), 2), "D4": (lambda: flipRot2dOnR2(4, axis=0.0), 8),
    "D8": (lambda: flipRot2dOnR2(8, axis=0.0), 8),
    # the mirror lines of D_N[axis] are at axis + k pi / N; grid-exact iff a multiple of pi/4
    "D4[pi/4]": (lambda: flipRot2dOnR2(4, axis=math.pi / 4), 8),
    "D4[pi/8]": (lambda: flipRot2dOnR2(4, axis=math.pi / 8), 4),
    "D8[pi/8]": (lambda: flipRot2dOnR2(8, axis=math.pi / 8), 8),
    "D2[pi/4]": (lambda: flipRot2dOnR2(2, axis=math.pi / 4), 4),
    "D2[0.3]": (lambda: flipRot2dOnR2(2, axis=0.3), 2),
    "O2": (lambda: flipRot2dOnR2(-1, axis=0.0), 8), "O2[pi/4]": (lambda: flipRot2dOnR2(-1, axis=math.pi / 4), 8),
    "O2[pi/8]": (lambda: flipRot2dOnR2(-1, axis=math.pi / 8), 8),
    "O2[0.3]": (lambda: flipRot2dOnR2(-1, axis=0.3), 8),
    "flip": (lambda: flip2dOnR2(), 2), "flip[0.3]": (lambda: flip2dOnR2(0.3), 1), "trivial2": (trivialOnR2, 1),
    "SO3": (lambda: rot3dOnR3(), 24), "O3": (lambda: flipRot3dOnR3(), 48), "C4R3": (lambda: rot2dOnR3(4), 4),
    "C3R3": (lambda: rot2dOnR3(3), 1), "SO2R3": (lambda: rot2dOnR3(-1), 4), "D4R3": (lambda: dihedralOnR3(4), 8),
    "O2R3": (lambda: dihedralOnR3(-1), 8), "cone4": (lambda: conicalOnR3(4), 8), "cone-1": (lambda: conicalOnR3(-1), 8),
    "inv": (invOnR3, 2), "trivial3": (trivialOnR3, 1), "octa": (octaOnR3, 24), "tetra": (tetraOnR3, 12),
    "ico": (icoOnR3, 12),  # its tetrahedral subgroup: the 180-degree axis turns and 3-fold diagonal turns
    # restricted gspaces
    "C8|C4": (lambda: rot2dOnR2(8).restrict(4)[0], 4),
    "D8|D4[1]": (lambda: flipRot2dOnR2(8, axis=0.0).restrict((1, 4))[0], 4),
    "D8|D2[2]": (lambda: flipRot2dOnR2(8, axis=0.0).restrict((2, 2))[0], 4),
    "SO2|C8": (lambda: rot2dOnR2(-1).restrict(8)[0], 4),
    "O2|SO2": (lambda: flipRot2dOnR2(-1, axis=0.0).restrict((None, -1))[0], 4),
    "O2|D4[pi/8]": (lambda: flipRot2dOnR2(-1, axis=0.0).restrict((math.pi / 8, 4))[0], 4),
    "O2[pi/8]|SO2": (lambda: flipRot2dOnR2(-1, axis=math.pi / 8).restrict((None, -1))[0], 4),
    "SO3|SO2": (lambda: rot3dOnR3().restrict(("so2",))[0], 4),
    "SO3|D4": (lambda: rot3dOnR3().restrict(("dn", 4))[0], 8),
    "O3|cyl": (lambda: flipRot3dOnR3().restrict(("cyl", -1))[0], 8),
    "O3|SO3|C4": (lambda: flipRot3dOnR3().restrict("so3")[0].restrict(("cn", 4))[0], 4),
}


def _sample(gs: GSpace, n: int, seed: int) -> list:
    rng = np.random.default_rng(seed)
    return [gs.fibergroup.sample(rng) for _ in range(n)]


@pytest.mark.parametrize("name", list(GSPACES))
def test_action_is_an_orthogonal_homomorphism(name: str) -> None:
    gs = GSPACES[name][0]()
    G = gs.fibergroup
    d = gs.dimensionality
    np.testing.assert_allclose(gs.basespace_action(G.identity), np.eye(d), atol=1e-12)
    els = _sample(gs, 5, 0) + gs.testing_elements[:4]
    for g in els:
        A = gs.basespace_action(g)
        assert A.shape == (d, d)
        np.testing.assert_allclose(A @ A.T, np.eye(d), atol=1e-12)
        np.testing.assert_allclose(gs.basespace_action(~g), A.T, atol=1e-12)
        for h in els[:4]:
            np.testing.assert_allclose(gs.basespace_action(g @ h), A @ gs.basespace_action(h), atol=1e-12)


@pytest.mark.parametrize("name", list(GSPACES))
def test_testing_elements_are_exactly_the_grid_exact_ones(name: str) -> None:
    gs, expected = GSPACES[name][0](), GSPACES[name][1]
    els = gs.testing_elements
    mats = [gs.basespace_action(g) for g in els]
    for A in mats:
        assert np.abs(A - np.round(A)).max() < 1e-9 and np.all(np.abs(np.round(A)).sum(0) == 1), "not a signed permutation"
    # distinct elements with distinct actions (the actions are faithful)
    keys = {tuple(np.round(A).astype(int).ravel()) for A in mats}
    assert len(keys) == len(els)
    assert len(els) == expected, f"{gs}: {len(els)} grid-exact elements found, expected {expected}"
    if not gs.fibergroup.continuous:
        brute = [g for g in gs.fibergroup.elements if any(np.allclose(gs.basespace_action(g), P) for P in _signed_perms(gs.dimensionality))]
        assert len(brute) == expected


def _signal(shape: tuple[int, ...], seed: int = 0) -> torch.Tensor:
    return torch.randn(2, 3, *shape, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)


@pytest.mark.parametrize("name", list(GSPACES))
def test_transform_signal_is_a_group_action_on_grid(name: str) -> None:
    gs = GSPACES[name][0]()
    d = gs.dimensionality
    shapes = [(5,) * d, (4,) * d]
    els = gs.testing_elements[:8]
    for shape in shapes:
        x = _signal(shape)
        ident = gs.transform_signal(x, gs.fibergroup.identity)
        assert torch.equal(ident, x)
        for g in els:
            Tg = gs.transform_signal(x, g)
            assert Tg.shape == x.shape and torch.equal(Tg.sort(-1)[0].flatten().sort()[0], x.flatten().sort()[0])
            for h in els[:4]:
                assert torch.equal(gs.transform_signal(Tg, h), gs.transform_signal(x, h @ g)), f"T(h)T(g) != T(hg) for {h}, {g}"


@pytest.mark.parametrize("name", ["C4", "D4", "SO3", "O3", "D4R3"])
def test_transform_signal_moves_points_by_A(name: str) -> None:
    """On the centred grid, (g.f)(p) = f(A^-1 p): a delta at q moves to A q."""
    gs = GSPACES[name][0]()
    d = gs.dimensionality
    n = 5
    c = (n - 1) / 2
    for g in gs.testing_elements:
        A = gs.basespace_action(g)
        q = np.array([2, 0, 1][:d])  # index of the delta
        x = torch.zeros((n,) * d, dtype=torch.float64)
        x[tuple(q)] = 1.0
        y = gs.transform_signal(x, g)
        p = np.rint(A @ (q - c) + c).astype(int)
        assert y[tuple(p)] == 1.0 and y.sum() == 1.0


def _blob(points: np.ndarray, centre: np.ndarray, s: float) -> np.ndarray:
    return np.exp(-((points - centre) ** 2).sum(-1) / (2 * s**2))


@pytest.mark.parametrize("name,angle", [("SO2", 0.37), ("SO2", 2.0), ("O2", 1.1), ("D8", None), ("SO3", None)])
def test_transform_signal_interpolates_smooth_signals(name: str, angle) -> None:
    """Off-grid rotations: bilinear interpolation is close to the exact transformed signal
    (a smooth blob, well inside the grid), and it is not exact (the other branch is taken)."""
    gs = GSPACES[name][0]()
    G = gs.fibergroup
    d = gs.dimensionality
    n = 33 if d == 2 else 25
    if angle is None:
        g = next(g for g in _sample(gs, 50, 3) if not np.allclose(np.abs(gs.basespace_action(g)).max(0), 1))
    else:
        g = G.element(angle) if G.name == "SO(2)" else G.element((1, angle))
    axes = [np.arange(n) - (n - 1) / 2] * d
    pts = np.stack(np.meshgrid(*axes, indexing="ij"), -1)
    centre = np.array([3.0, -2.0, 1.0][:d])
    s = n / 5
    f = torch.from_numpy(_blob(pts, centre, s))
    A = gs.basespace_action(g)
    exact = _blob(pts, A @ centre, s)  # f(A^-1 p) = blob centred at A c
    out = gs.transform_signal(f, g).numpy()
    # inside the inscribed ball: outside it, rotated-in corners are zero-padded
    inside = np.linalg.norm(pts, axis=-1) <= (n - 1) / 2 - 1
    err = np.abs(out - exact)[inside].max()
    wrong = [np.abs(out - _blob(pts, B @ centre, s))[inside].max() for B in (np.eye(d), A.T) if not np.allclose(B, A)]
    assert 1e-8 < err < 0.015 < min(wrong), (err, wrong)  # not left in place, nor moved by A^-1


@pytest.mark.parametrize("name", ["C8|C4", "D8|D4[1]", "O2|D4[pi/8]", "O2[pi/8]|SO2", "SO3|D4", "O3|cyl", "O3|SO3|C4"])
def test_restrict_maps_are_consistent(name: str) -> None:
    make = {
        "C8|C4": (lambda: rot2dOnR2(8), [4]),
        "D8|D4[1]": (lambda: flipRot2dOnR2(8, axis=0.0), [(1, 4)]),
        "O2|D4[pi/8]": (lambda: flipRot2dOnR2(-1, axis=0.0), [(math.pi / 8, 4)]),
        "O2[pi/8]|SO2": (lambda: flipRot2dOnR2(-1, axis=math.pi / 8), [(None, -1)]),
        "SO3|D4": (lambda: rot3dOnR3(), [("dn", 4)]),
        "O3|cyl": (lambda: flipRot3dOnR3(), [("cyl", -1)]),
        "O3|SO3|C4": (lambda: flipRot3dOnR3(), ["so3", ("cn", 4)]),
    }[name]
    gs = make[0]()
    for sub_id in make[1]:
        sub, incl, restr = gs.restrict(sub_id)
        G = gs.fibergroup
        assert sub.dimensionality == gs.dimensionality
        for h in _sample(sub, 6, 1):
            g = incl(h)
            assert g.group == G
            np.testing.assert_allclose(sub.basespace_action(h), gs.basespace_action(g), atol=1e-12)
            assert restr(g) == h
            h2 = _sample(sub, 1, 2)[0]
            assert incl(h @ h2) == g @ incl(h2)
        # an element outside H restricts to None
        outside = [g for g in _sample(gs, 30, 5) if restr(g) is None]
        assert outside, "every random element lies in the subgroup?"
        # the restricted gspace's representations are the restrictions
        rho = G.irreps()[-1]
        rho_h = rho.restrict(sub_id)
        for h in _sample(sub, 3, 4):
            np.testing.assert_allclose(rho_h(h), rho(incl(h)), atol=1e-9)
        gs = sub


def test_equality_and_hash() -> None:
    assert rot2dOnR2(8) == rot2dOnR2(8) and hash(rot2dOnR2(8)) == hash(rot2dOnR2(8))
    assert rot2dOnR2(8) != rot2dOnR2(4)
    assert rot2dOnR2(4) != rot2dOnR3(4)
    assert dihedralOnR3(4) != conicalOnR3(4)
    assert flipRot2dOnR2(4, axis=0.1234567) != flipRot2dOnR2(4, axis=0.1234568)
    assert flipRot2dOnR2(4, axis=0.5) == flipRot2dOnR2(4, axis=0.5)
    assert rot2dOnR2(8).restrict(4)[0] == rot2dOnR2(8).restrict(4)[0]
    assert rot2dOnR2(8).restrict(4)[0] != rot2dOnR2(8).restrict(2)[0]


def test_flip2d_default_reverses_axis_0() -> None:
    gs = flip2dOnR2()
    f = next(g for g in gs.fibergroup.elements if g != gs.fibergroup.identity)
    np.testing.assert_allclose(gs.basespace_action(f), np.diag([-1.0, 1.0]), atol=1e-12)
    x = _signal((4, 5))
    assert torch.equal(gs.transform_signal(x, f), torch.flip(x, [-2]))


@pytest.mark.parametrize("name", ["C8", "O2[pi/8]", "D8|D4[1]", "SO3|D4", "O3|SO3|C4", "cone4"])
def test_pickle_roundtrip(name: str) -> None:
    import pickle

    gs = GSPACES[name][0]()
    gs2 = pickle.loads(pickle.dumps(gs))
    assert gs2 == gs and hash(gs2) == hash(gs) and gs2.name == gs.name
    for g in _sample(gs, 3, 0):
        g2 = gs2.fibergroup.element(g.value)
        np.testing.assert_allclose(gs2.basespace_action(g2), gs.basespace_action(g), atol=1e-12)


def test_bad_inputs() -> None:
    gs = rot2dOnR2(4)
    with pytest.raises(ValueError):
        gs.transform_signal(torch.zeros(5), gs.fibergroup.identity)
    with pytest.raises((TypeError, ValueError)):
        gs.basespace_action(rot2dOnR2(8).fibergroup.element(1))  # an element of another group
    with pytest.raises(ValueError):
        gs.restrict(3)  # 3 does not divide 4
