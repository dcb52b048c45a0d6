"""Sampling the bases: differentiable in the points, dtype and device follow the points."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from _kernel_cases import single_thread_blas  # noqa: F401 (autouse fixture)
from steerable.gspaces import flipRot2dOnR2, flipRot3dOnR3, rot2dOnR2, rot3dOnR3
from steerable.kernels import GridKernelBasis


def _bases():
    c4 = rot2dOnR2(4)
    so2 = rot2dOnR2(-1, maximum_frequency=3)
    d4 = flipRot2dOnR2(4, axis=0.0)
    so3 = rot3dOnR3()
    o3 = flipRot3dOnR3()
    return {
        "C4": GridKernelBasis(c4, c4.regular_repr, c4.irrep(1), 5),
        "SO2": GridKernelBasis(so2, so2.irrep(1), so2.irrep(2), 5),
        "D4": GridKernelBasis(d4, d4.irrep(1, 1), d4.regular_repr, 3),
        "SO3": GridKernelBasis(so3, so3.irrep(1), so3.irrep(1), 3),
        "O3": GridKernelBasis(o3, o3.irrep(1, 1), o3.irrep(0, 2), 3),
    }


BASES = _bases()


@pytest.mark.parametrize("name", list(BASES))
def test_gradcheck_in_points(name: str) -> None:
    basis = BASES[name]
    d = basis.gspace.dimensionality
    x = torch.tensor(np.random.default_rng(0).normal(size=(4, d)) * 1.2, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda p: basis.sample(p), (x,), eps=1e-6, atol=1e-5, rtol=1e-4)


@pytest.mark.parametrize("name", list(BASES))
def test_gradient_at_the_origin_is_finite(name: str) -> None:
    basis = BASES[name]
    d = basis.gspace.dimensionality
    x = torch.zeros(3, d, dtype=torch.float64)
    x[1, 0] = 1e-13  # tiny, below the library's origin threshold in 2D
    x[2] = 0.7
    x.requires_grad_(True)
    y = basis.sample(x)
    assert torch.isfinite(y).all()
    w = torch.randn(y.shape, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    (g,) = torch.autograd.grad((y * w).sum(), x)
    assert torch.isfinite(g).all()
    assert g[2].abs().sum() > 0  # a regular point really gets a gradient


@pytest.mark.parametrize("name", list(BASES))
def test_float32_and_float64(name: str) -> None:
    basis = BASES[name]
    d = basis.gspace.dimensionality
    x64 = torch.tensor(np.random.default_rng(1).normal(size=(7, d)), dtype=torch.float64)
    y64 = basis.sample(x64)
    y32 = basis.sample(x64.float())
    assert y64.dtype == torch.float64 and y32.dtype == torch.float32
    torch.testing.assert_close(y32.double(), y64, atol=2e-6, rtol=1e-5)
    g32 = basis.sample_grid(dtype=torch.float32)
    g64 = basis.sample_grid()
    assert g32.dtype == torch.float32 and g64.dtype == torch.float64
    assert g64.shape == (basis.dim, basis.out_repr.size, basis.in_repr.size) + (basis.kernel_size,) * d
    torch.testing.assert_close(g32.double(), g64, atol=2e-6, rtol=1e-5)
    # the module's buffers are not changed by sampling in another dtype
    assert basis.coefficients.dtype == torch.float64


@pytest.mark.parametrize("device", ["cpu", torch.device("cpu")])
def test_device_cpu(device) -> None:
    basis = BASES["C4"]
    g = basis.sample_grid(device=device)
    assert g.device.type == "cpu"
    y = basis.sample(torch.zeros(2, 2, dtype=torch.float64, device=device))
    assert y.device.type == "cpu"


def test_sampling_follows_the_points_device() -> None:
    """The coefficients follow the points' device (checked on the 'meta' device, which every
    build has: a CPU-only buffer mixed with meta points would raise)."""
    basis = BASES["SO2"]
    y = basis.sample(torch.zeros(5, 2, dtype=torch.float32, device="meta"))
    assert y.device.type == "meta" and y.dtype == torch.float32 and y.shape == (5, basis.dim, 2, 2)
    g = basis.sample_grid(device="meta")
    assert g.device.type == "meta"


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a GPU")
def test_cuda_matches_cpu() -> None:
    basis = BASES["SO3"]
    x = torch.randn(10, 3, dtype=torch.float64)
    torch.testing.assert_close(basis.sample(x.cuda()).cpu(), basis.sample(x))
    torch.testing.assert_close(basis.to("cuda").sample(x.cuda()).cpu(), basis.sample(x.cuda()).cpu())
