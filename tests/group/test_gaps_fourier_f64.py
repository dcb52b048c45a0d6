"""Float64 Fourier transforms on torch tensors are exact to round-off.

The torch path of :class:`FourierTransform` must use the float64 matrices for float64
tensors; a float32 step inside would still pass a ``1e-4`` tolerance (it costs ~1e-7), so the
tolerance here is ``1e-12``.
"""
from __future__ import annotations

import numpy as np
import pytest
import torch

from _group_cases import O2G, SO2G, SO3G, O3G, gid  # noqa: F401
from steerable.group import FourierTransform, cyclic_group, dihedral_group

CASES = [
    (SO2G, lambda G: G.grid("regular", 12), 3),
    (O2G, lambda G: G.grid("regular", 9), 3),
    (SO3G, lambda G: G.grid("thomson", 40), 2),
    (O3G, lambda G: G.grid("thomson", 20), 1),
    (cyclic_group(8), lambda G: G.elements, None),
    (dihedral_group(6), lambda G: G.elements, None),
]


@pytest.mark.parametrize("G, grid, L", CASES, ids=[gid(c[0]) for c in CASES])
def test_float64_round_trip_and_agreement_with_numpy(G, grid, L) -> None:
    ft = FourierTransform(G, grid(G), L)
    n, D = ft.A.shape
    F = torch.randn(3, D, 2, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    samples = ft.inverse(F, dim=1)
    assert samples.dtype == torch.float64 and samples.shape == (3, n, 2)
    torch.testing.assert_close(ft.forward(samples, dim=1), F, atol=1e-12, rtol=0)
    np.testing.assert_allclose(samples.numpy(), ft.inverse(F.numpy(), dim=1), atol=1e-13, rtol=0)
    np.testing.assert_allclose(ft.forward(samples, dim=1).numpy(), ft.forward(samples.numpy(), dim=1), atol=1e-13, rtol=0)
    if not G.continuous:  # a finite group's full grid: the transform is invertible both ways
        x = torch.randn(4, n, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
        torch.testing.assert_close(ft.inverse(ft.forward(x)), x, atol=1e-12, rtol=0)
