"""Convolutions take a kernel basis object (``basis=``), escnn's basis keywords build the default
one, ``maximum_offset=``, and the eval-mode filter cache is per module (no global hooks)."""
from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
import torch

from steerable.group import Representation
from steerable.gspaces import flipRot2dOnR2, rot2dOnR2
from steerable.kernels import ConvBasis, KernelBasis, RingSpec, SteerableConvBasis, sample_harmonics, solve_kernel_constraint
from steerable.nn import FieldType, GeometricTensor, R2Conv


class _SolvedKernels(KernelBasis):
    """Kernels ``C H(x)`` from the numerical constraint solver (no representation theory)."""

    def __init__(self, spec: RingSpec, C: np.ndarray) -> None:
        super().__init__(C.shape[0], (C.shape[1], C.shape[2]))
        self.spec = spec
        self.register_buffer("C", torch.from_numpy(C), persistent=False)

    def sample(self, points: torch.Tensor, out: torch.Tensor | None = None) -> torch.Tensor:
        H = sample_harmonics(self.spec, points)
        return self._write(torch.einsum("boim,mp->pboi", self.C.to(points), H), out)

    def attributes_list(self) -> list[dict]:
        return [dict(idx=i) for i in range(self.dim)]


class NumericalConvBasis(ConvBasis):
    """A user-defined convolution basis: the sampled constraint's null space on steerable's rings."""

    def __init__(self, gspace, kernel_size: int) -> None:
        super().__init__(gspace, kernel_size)
        self.spec = RingSpec.default(kernel_size, gspace.dimensionality)
        self.built: list[tuple[str, str]] = []

    def build_pair(self, in_repr: Representation, out_repr: Representation) -> KernelBasis:
        self.built.append((in_repr.name, out_repr.name))
        return _SolvedKernels(self.spec, solve_kernel_constraint(self.gspace, in_repr, out_repr, self.spec))


def _types():
    gs = rot2dOnR2(4)
    G = gs.fibergroup
    return gs, FieldType(gs, [gs.regular_repr, G.irrep(1)]), FieldType(gs, [G.irrep(1), gs.regular_repr, gs.trivial_repr])


def test_custom_basis_plugs_into_r2conv() -> None:
    gs, t_in, t_out = _types()
    basis = NumericalConvBasis(gs, 5)
    conv = R2Conv(t_in, t_out, 5, padding=2, basis=basis)
    assert conv.basis is basis
    # one basis per distinct pair of representations, built once, and the coefficient layout
    # is the basis's: n_out * n_in * dim per pair
    assert len(basis.built) == len(set(basis.built)) == 2 * 3
    dims = {p: basis.pair(*reps).dim for p, reps in enumerate(
        [(ri, ro) for ro in t_out.representations for ri in t_in.representations])}
    assert conv.weights.numel() == sum(dims.values())
    conv.check_equivariance(atol=1e-4, rtol=1e-4)
    # the same filter space as the default (Wigner-Eckart) basis on this grid
    default = R2Conv(t_in, t_out, 5, padding=2)
    assert default.weights.numel() == conv.weights.numel()


def test_the_control_fails_with_a_non_equivariant_custom_basis() -> None:
    """A basis that breaks the constraint (raw harmonics for every matrix entry) is caught."""
    gs, t_in, t_out = _types()

    class Raw(NumericalConvBasis):
        def build_pair(self, in_repr, out_repr):
            M = sample_harmonics(self.spec, torch.zeros(1, 2, dtype=torch.float64)).shape[0]
            C = np.random.default_rng(0).normal(size=(3, out_repr.size, in_repr.size, M))
            return _SolvedKernels(self.spec, C)

    conv = R2Conv(t_in, t_out, 5, padding=2, basis=Raw(gs, 5))
    errors = conv.check_equivariance(raise_on_fail=False)
    assert max(e for _, e in errors) > 1e-2


def test_escnn_keywords_build_the_default_basis() -> None:
    gs, t_in, t_out = _types()
    kw = dict(sigma=0.5, frequencies_cutoff=lambda r: 1.5 * r, rings=[0.0, 1.0, 2.0])
    a = R2Conv(t_in, t_out, 5, **kw)
    b = R2Conv(t_in, t_out, 5, basis=SteerableConvBasis(gs, 5, **kw))
    assert isinstance(a.basis, SteerableConvBasis) and a.basis.spec == b.basis.spec
    assert a.weights.numel() == b.weights.numel()
    with pytest.raises(ValueError, match="either basis= or"):
        R2Conv(t_in, t_out, 5, basis=SteerableConvBasis(gs, 5), sigma=0.5)
    with pytest.raises(ValueError, match="kernel_size=3"):
        R2Conv(t_in, t_out, 3, basis=SteerableConvBasis(gs, 5))
    with pytest.raises(TypeError, match="ConvBasis"):
        R2Conv(t_in, t_out, 5, basis=object())
    with pytest.raises(ValueError, match="basis is for"):
        R2Conv(t_in, t_out, 5, basis=SteerableConvBasis(rot2dOnR2(8), 5))


def test_maximum_offset_keeps_the_unaliased_frequencies() -> None:
    gs = rot2dOnR2(8)
    t = FieldType(gs, [gs.regular_repr])
    kw = dict(frequencies_cutoff=3.0, maximum_frequency=8)  # frequencies up to 6 on the outer ring
    full = R2Conv(t, t, 7, padding=3, **kw)
    low = R2Conv(t, t, 7, padding=3, maximum_offset=0, **kw)
    assert 0 < low.weights.numel() < full.weights.numel()
    assert all(a["offset"] == 0 for a in low.basis.pair(gs.regular_repr, gs.regular_repr))
    low.check_equivariance()
    with pytest.raises(ValueError, match="maximum_offset"):
        R2Conv(t, t, 7, maximum_offset=-1)
    # continuous groups never alias: every offset is 0
    so2 = flipRot2dOnR2(-1, maximum_frequency=3)
    ts = FieldType(so2, [so2.fibergroup.irrep(1, 1)])
    assert R2Conv(ts, ts, 5, maximum_offset=0).weights.numel() == R2Conv(ts, ts, 5).weights.numel()


def test_conv_with_a_basis_object_pickles() -> None:
    import io
    gs, t_in, t_out = _types()
    conv = R2Conv(t_in, t_out, 5)
    buf = io.BytesIO()
    torch.save(conv, buf)
    buf.seek(0)
    back = torch.load(buf, weights_only=False)
    x = GeometricTensor(torch.randn(1, t_in.size, 9, 9), t_in)
    torch.testing.assert_close(back(x).tensor, conv(x).tensor)


def test_importing_steerable_registers_no_global_optimizer_hooks() -> None:
    code = (
        "import torch.optim.optimizer as o\n"
        "before = (len(o._global_optimizer_pre_hooks), len(o._global_optimizer_post_hooks))\n"
        "import steerable, steerable.nn\n"
        "after = (len(o._global_optimizer_pre_hooks), len(o._global_optimizer_post_hooks))\n"
        "assert before == after == (0, 0), (before, after)\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_eval_cache_follows_a_fused_step_without_global_state() -> None:
    """Per-module invalidation: the expansion with autograd on (which any gradient needs) drops
    the cache, so a fused optimizer step, which bumps no version counter, is seen."""
    gs, t_in, t_out = _types()
    conv = R2Conv(t_in, t_out, 3).eval()
    x = GeometricTensor(torch.randn(2, t_in.size, 7, 7), t_in)
    with torch.no_grad():
        y0 = conv(x).tensor
    opt = torch.optim.Adam(conv.parameters(), lr=0.1, fused=True)
    conv(x).tensor.square().sum().backward()
    opt.step()
    with torch.no_grad():
        y1 = conv(x).tensor
        fresh = torch.nn.functional.conv2d(x.tensor, conv.expand_parameters()[0], conv.expand_parameters()[1])
    assert (y1 - y0).abs().max() > 1e-3
    torch.testing.assert_close(y1, fresh)


@pytest.mark.parametrize("group", ["so3", "o3"])
def test_harmonic_polynomial_r3_is_equivariant(group) -> None:
    from steerable.nn import HarmonicPolynomialR3

    layer = HarmonicPolynomialR3(3, group)
    assert layer.out_type.size == 16 and layer.in_type.size == 3
    G = layer.G
    x = torch.randn(12, 3, dtype=torch.float64)
    y = layer(layer.in_type(x) if callable(layer.in_type) else GeometricTensor(x, layer.in_type)).tensor
    for g in [G.sample(s) for s in range(4)]:
        gx = x @ torch.from_numpy(layer.in_type.representation(g)).T
        gy = y @ torch.from_numpy(layer.out_type.representation(g)).T
        torch.testing.assert_close(layer(GeometricTensor(gx, layer.in_type)).tensor, gy, atol=1e-10, rtol=0)
    with pytest.raises(ValueError, match="so3"):
        HarmonicPolynomialR3(2, "so2")


def test_conv_positional_parameters_are_escnns() -> None:
    """escnn 1.0.11's order (inspect.signature), so positional calls port; steerable's extras are keyword only."""
    import inspect

    from steerable.nn import R2ConvTransposed, R3Conv

    def positional(cls):
        return " ".join(p.name for p in inspect.signature(cls).parameters.values() if p.kind == p.POSITIONAL_OR_KEYWORD)

    head = "in_type out_type kernel_size padding"
    assert positional(R2Conv) == (f"{head} stride dilation padding_mode groups bias sigma frequencies_cutoff rings "
                                  "maximum_offset recompute basis_filter initialize")
    assert positional(R3Conv) == (f"{head} stride dilation padding_mode groups bias sigma frequencies_cutoff rings "
                                  "recompute basis_filter initialize")
    assert positional(R2ConvTransposed) == (f"{head} output_padding stride dilation groups bias sigma frequencies_cutoff "
                                            "rings maximum_offset recompute basis_filter initialize")
