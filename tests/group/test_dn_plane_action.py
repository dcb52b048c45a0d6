"""``D_N``'s 2-dimensional irreps are tied to the plane action, as ``SO(2)``'s and ``O(2)``'s are.

An irrep conjugated by any orthogonal matrix is still an irrep with the same character, so the
homomorphism, orthogonality and character tests cannot tell ``psi_(1,k)`` from, e.g., the
embedding whose reflections are negated (``-R(k theta) F``, the same irrep conjugated by a 90°
rotation).  What fixes the embedding is the geometry: ``psi_(1,1)(g)`` must be the matrix by
which ``g`` moves points of the plane, the matrix ``O(2)``'s vector irrep gives the same element,
and a ``flipRot2dOnR2`` gspace moves pixels by it.  Convolution kernels and the transformation of
vector fields rely on exactly this.
"""
from __future__ import annotations

import math

import numpy as np
import pytest

from steerable.group import dihedral_group, o2_group

ATOL = 1e-12
NS = (3, 4, 5, 6, 8, 16)  # D_1, D_2 have no 2-dim irreps


def _plane(f: int, theta: float) -> np.ndarray:
    """``R(theta) F^f`` written out: rotation by ``theta`` after ``f`` flips of the y axis."""
    c, s = math.cos(theta), math.sin(theta)
    R = np.array([[c, -s], [s, c]])
    return R @ np.diag([1.0, -1.0]) if f else R


@pytest.mark.parametrize("N", NS)
def test_dn_generators_act_on_the_plane_as_written(N: int) -> None:
    """``r`` rotates by ``2 pi / N`` counter-clockwise, ``f`` mirrors ``y -> -y``."""
    G = dihedral_group(N)
    r, f = G.element((0, 1)), G.element((1, 0))
    np.testing.assert_allclose(G.standard_matrix(r), _plane(0, 2 * math.pi / N), atol=ATOL)
    np.testing.assert_allclose(G.standard_matrix(f), _plane(1, 0.0), atol=ATOL)


@pytest.mark.parametrize("N", NS)
def test_dn_irreps_are_the_plane_action_at_their_frequency(N: int) -> None:
    """``psi_(1,k)(r^m f^f) = R(2 pi k m / N) F^f`` for every element and every 2-dim irrep;
    for ``k = 1`` this is ``D_N.standard_matrix``, the plane action itself."""
    G = dihedral_group(N)
    two_dim = [psi for psi in G.irreps() if psi.size == 2]
    assert len(two_dim) == (N - 1) // 2  # every 2-dim irrep is checked
    for psi in two_dim:
        k = psi.attributes["frequency"]
        for g in G.elements:
            f, m = g.value
            np.testing.assert_allclose(psi(g), _plane(f, 2 * math.pi * k * m / N), atol=ATOL, err_msg=f"{psi} at {g}")
    vec = G.irrep(1, 1)
    for g in G.elements:
        np.testing.assert_allclose(vec(g), G.standard_matrix(g), atol=ATOL, err_msg=str(g))


@pytest.mark.parametrize("N", NS)
def test_dn_vector_irrep_agrees_with_o2_vector_irrep(N: int) -> None:
    """Seen as elements of ``O(2)`` (flip ``f``, angle ``2 pi m / N``), the elements of ``D_N`` get
    the same matrices from ``D_N``'s and from ``O(2)``'s frequency-``k`` irreps."""
    G, O2 = dihedral_group(N), o2_group(8)
    for g in G.elements:
        f, m = g.value
        h = O2.element((f, 2 * math.pi * m / N))
        np.testing.assert_allclose(G.standard_matrix(g), O2.standard_matrix(h), atol=ATOL)
        for psi in G.irreps():
            if psi.size == 2:
                k = psi.attributes["frequency"]
                np.testing.assert_allclose(psi(g), O2.irrep(1, k)(h), atol=ATOL, err_msg=f"{psi} at {g}")


@pytest.mark.parametrize("N", (4, 8))
def test_flip_rot_gspace_moves_points_by_the_vector_irrep(N: int) -> None:
    """``flipRot2dOnR2(N, axis=0)`` moves base-space points by ``psi_(1,1)(g)``, so a vector
    field's values and its base points turn together."""
    from steerable.gspaces import flipRot2dOnR2

    gs = flipRot2dOnR2(N, axis=0.0)
    vec = gs.fibergroup.irrep(1, 1)
    for g in gs.fibergroup.elements:
        np.testing.assert_allclose(gs.basespace_action(g), vec(g), atol=ATOL, err_msg=str(g))
