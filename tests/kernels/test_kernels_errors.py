"""Bad input to the kernel bases: clear ValueErrors at construction, never a silent empty or
aliased basis."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from _kernel_cases import single_thread_blas  # noqa: F401 (autouse fixture)
from steerable.group import cyclic_group, so2_group
from steerable.gspaces import flipRot2dOnR2, flipRot3dOnR3, rot2dOnR2, rot3dOnR3
from steerable.kernels import GridKernelBasis, RingSpec, grid_points
from steerable.kernels.harmonics import sample_harmonics


@pytest.mark.parametrize("make,pair,ks", [
    (lambda: rot2dOnR2(-1, maximum_frequency=3), lambda G: (G.irrep(0), G.irrep(2)), 2),   # needs frequency 2; ring 0.5 carries 1
    (lambda: flipRot2dOnR2(4, axis=0.0), lambda G: (G.irrep(0, 0), G.irrep(1, 0)), 4),     # needs sin(4t phi); rings carry <= 3
    (lambda: rot2dOnR2(8), lambda G: (G.irrep(0), G.irrep(4)), 2),               # needs frequency 4 mod 8
    (lambda: rot3dOnR3(), lambda G: (G.irrep(0), G.irrep(2)), 2),                # needs degree 2; the ring carries 1
    (lambda: flipRot3dOnR3(), lambda G: (G.irrep(0, 0), G.irrep(0, 1)), 5),      # pseudovector from a scalar: never
])
def test_pair_without_solutions_raises_at_construction(make, pair, ks) -> None:
    gs = make()
    ri, ro = pair(gs.fibergroup)
    with pytest.raises(ValueError, match="no .*-steerable kernel"):
        GridKernelBasis(gs, ri, ro, ks)
    # ... while the same pair has kernels on a larger (odd) kernel, except the impossible one
    if ro.size != 3:
        assert GridKernelBasis(gs, ri, ro, 5 if gs.dimensionality == 3 else 9).dim > 0


@pytest.mark.parametrize("sigma", [0.0, -0.5, float("nan"), [0.6, 0.0, 0.6], [0.6, 0.6]])
def test_non_positive_or_malformed_sigma_raises(sigma) -> None:
    gs = rot2dOnR2(4)
    with pytest.raises(ValueError, match="sigma"):
        GridKernelBasis(gs, gs.regular_repr, gs.regular_repr, 5, sigma=sigma)


@pytest.mark.parametrize("rings,dim", [([4.0], 2), ([-0.5, 1.0], 2), ([0.0, 2.9], 2), ([3.5], 3), ([], 2)])
def test_rings_outside_the_kernel_raise(rings, dim) -> None:
    with pytest.raises(ValueError, match="ring"):
        RingSpec.default(5, dim, rings=rings)


@pytest.mark.parametrize("ks,rings", [(5, [1.0, 1.0]), (5, [0.0, 2.0, 2.0 + 1e-12]), (2, [0.3, 0.6])])  # 2x2: one radius only
def test_coinciding_rings_raise(ks, rings) -> None:
    with pytest.raises(ValueError, match="linearly dependent"):
        RingSpec.default(ks, 2, rings=rings)


def test_rings_inside_the_kernel_are_accepted() -> None:
    spec = RingSpec.default(5, 2, rings=[0.0, 1.5, 2.8])  # the corner is at 2.83
    assert spec.radii == (0.0, 1.5, 2.8)


@pytest.mark.parametrize("ks,dim,rings,freqs", [
    (5, 2, (0.0, 1.0, 2.0), (0, 2, 20)),   # far beyond what the grid resolves
    (3, 2, (0.0, 1.0), (0, 4)),            # 8 samples on the ring at 1: at most frequency 3
    (5, 2, (0.0, 1.0, 2.0), (1, 1, 1)),    # the centre carries only frequency 0
    (3, 3, (0.0, 1.0), (0, 6)),            # 3D: 18 voxels near the unit sphere cannot carry degree 6 (49 functions)
    (5, 3, (0.0, 1.0, 2.0), (0, 2, 12)),
])
def test_explicit_aliasing_frequencies_raise(ks, dim, rings, freqs) -> None:
    with pytest.raises(ValueError, match="alias|carry|frequenc"):
        RingSpec.explicit(ks, dim, rings, 0.6, freqs)


def test_explicit_spec_checks_lengths_and_accepts_valid_ones() -> None:
    with pytest.raises(ValueError, match="one frequency per ring"):
        RingSpec.explicit(5, 2, (0.0, 1.0), 0.6, (0,))
    spec = RingSpec.explicit(5, 2, (0.0, 1.0, 2.0), 0.6, (0, 1, 3))
    assert spec.max_frequencies == (0, 1, 3)
    gs = rot2dOnR2(4)
    # an explicit spec's harmonics are linearly independent on the grid
    H = sample_harmonics(spec, torch.from_numpy(grid_points(5, 2))).numpy()
    assert np.linalg.matrix_rank(H) == H.shape[0]
    assert GridKernelBasis(gs, gs.trivial_repr, gs.trivial_repr, 5, rings=spec.radii, maximum_frequency=3).dim > 0


def test_representations_of_another_group_raise() -> None:
    gs = rot2dOnR2(4)
    C8 = cyclic_group(8)
    with pytest.raises(ValueError, match=r"in_repr .*C8.*C4"):
        GridKernelBasis(gs, C8.regular_representation, gs.regular_repr, 5)
    with pytest.raises(ValueError, match=r"out_repr .*SO\(2\).*C4"):
        GridKernelBasis(gs, gs.regular_repr, so2_group(3).irrep(1), 5)
    with pytest.raises(TypeError, match="Representation"):
        GridKernelBasis(gs, np.eye(4), gs.regular_repr, 5)


@pytest.mark.parametrize("ks", [0, -3, (3,), (3, 3, 3), 5.0, (3, 2.5), "5", True])
def test_bad_kernel_size_raises(ks) -> None:
    gs = rot2dOnR2(4)
    with pytest.raises(ValueError, match="kernel_size"):
        GridKernelBasis(gs, gs.trivial_repr, gs.trivial_repr, ks)


def test_numpy_and_tuple_kernel_sizes() -> None:
    gs = rot2dOnR2(4)
    a = GridKernelBasis(gs, gs.regular_repr, gs.irrep(1), np.int64(5))
    b = GridKernelBasis(gs, gs.regular_repr, gs.irrep(1), 5)
    assert a.kernel_size == 5 and a.spec == b.spec
    torch.testing.assert_close(a.sample_grid(), b.sample_grid())
    c = GridKernelBasis(gs, gs.regular_repr, gs.irrep(1), (np.int64(3), 5))
    assert c.sample_grid().shape[-2:] == (3, 5)


def test_bad_points_raise() -> None:
    gs = rot2dOnR2(4)
    b = GridKernelBasis(gs, gs.trivial_repr, gs.trivial_repr, 3)
    for pts in (torch.zeros(4, 3, dtype=torch.float64), torch.zeros(2, dtype=torch.float64), torch.zeros(1, 4, 2)):
        with pytest.raises(ValueError, match="points"):
            b.sample(pts)


def test_frequencies_cutoff_callable_may_return_a_float() -> None:
    """escnn's cutoffs are float-valued (``lambda r: 1.5 * r``); they used to crash in the harmonics."""
    gs = rot2dOnR2(8)
    b = GridKernelBasis(gs, gs.regular_repr, gs.regular_repr, 5, frequencies_cutoff=lambda r: 1.5 * r)
    assert b.spec.max_frequencies == (0, 1, 3)
    assert all(isinstance(k, int) for k in b.spec.max_frequencies)


def test_frequencies_cutoff_callable_returning_nonsense_is_a_clear_error() -> None:
    gs = rot2dOnR2(8)
    with pytest.raises(TypeError, match="frequencies_cutoff"):
        GridKernelBasis(gs, gs.trivial_repr, gs.trivial_repr, 5, frequencies_cutoff=lambda r: "2")
    with pytest.raises(ValueError, match="frequencies_cutoff"):
        GridKernelBasis(gs, gs.trivial_repr, gs.trivial_repr, 5, frequencies_cutoff=lambda r: float("nan"))


def test_EmptyBasisException_is_escnns_name_for_EmptyBasisError() -> None:
    from steerable.kernels import EmptyBasisError, EmptyBasisException
    assert EmptyBasisException is EmptyBasisError
