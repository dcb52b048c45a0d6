"""Train/eval modes, the eval-mode filter cache, state dicts, buffers, gradients, bias,
initialisation, dtypes and construction time of the steerable convolutions."""
from __future__ import annotations

import io
import time

import pytest
import torch

from steerable.group import directsum
from steerable.gspaces import flipRot2dOnR2, rot2dOnR2, rot3dOnR3
from steerable.nn import FieldType, GeometricTensor, R2Conv, R2ConvTransposed, R3Conv, R3ConvTransposed


def _randn(*shape, seed=0, dtype=torch.float32):
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed), dtype=dtype)


def _mixed_types():
    gs = flipRot2dOnR2(4, axis=0.0)
    G = gs.fibergroup
    t_in = FieldType(gs, [gs.regular_repr, gs.trivial_repr, G.irrep(1, 1), gs.quotient_repr((0, 1))])
    t_out = FieldType(gs, [G.irrep(1, 1), gs.regular_repr, G.irrep(1, 0), gs.trivial_repr])
    return t_in, t_out


def _spatial_types():
    gs = rot3dOnR3()
    G = gs.fibergroup
    return FieldType(gs, [G.irrep(0), G.irrep(1)]), FieldType(gs, [G.irrep(1), G.irrep(0), G.irrep(2)])


LAYERS = {
    "R2Conv": lambda: (R2Conv(*_mixed_types(), 3, padding=1), 7),
    "R2ConvTransposed": lambda: (R2ConvTransposed(*_mixed_types(), 3, padding=1, stride=2), 5),
    "R3Conv": lambda: (R3Conv(*_spatial_types(), 3, padding=1), 4),
    "R3ConvTransposed": lambda: (R3ConvTransposed(*_spatial_types(), 3, stride=2), 3),
}


def _make(name):
    layer, n = LAYERS[name]()
    if layer.bias is not None:
        with torch.no_grad():
            layer.bias.normal_(generator=torch.Generator().manual_seed(5))
    x = _randn(2, layer.in_type.size, *([n] * layer.in_type.gspace.dimensionality), seed=1)
    return layer, GeometricTensor(x, layer.in_type)


def _fresh_reference(layer, x):
    """The output of a new layer (train mode, no cache) with ``layer``'s parameters."""
    ref = type(layer)(layer.in_type, layer.out_type, layer.kernel_size, stride=layer.stride, padding=layer.padding,
                      dilation=layer.dilation, initialize=False)
    ref.load_state_dict(layer.state_dict())
    ref.to(layer.weights.dtype)
    with torch.no_grad():
        return ref(x.to(layer.weights.dtype)).tensor


# ---------------------------------------------------------------------- modes and cache
@pytest.mark.parametrize("name", LAYERS)
def test_eval_and_train_outputs_agree(name):
    layer, x = _make(name)
    y_train = layer.train()(x).tensor
    layer.eval()
    with torch.no_grad():
        y_cached = layer(x).tensor
        y_cached2 = layer(x).tensor
    y_eval_grad = layer(x).tensor  # eval mode with autograd on
    torch.testing.assert_close(y_cached, y_train.detach(), atol=1e-6, rtol=1e-6)
    torch.testing.assert_close(y_cached2, y_cached, atol=0, rtol=0)
    torch.testing.assert_close(y_eval_grad.detach(), y_train.detach(), atol=1e-6, rtol=1e-6)


def test_cache_is_used_only_in_eval_without_autograd(monkeypatch):
    layer, x = _make("R2Conv")
    calls = []
    original = layer.expand_parameters

    def counting():
        calls.append(1)
        return original()

    monkeypatch.setattr(layer, "expand_parameters", counting)
    layer.train()
    layer(x), layer(x)
    assert len(calls) == 2  # train: expanded at every call
    layer.eval()
    with torch.no_grad():
        layer(x), layer(x), layer(x)
    assert len(calls) == 3  # eval + no_grad: expanded once
    with torch.inference_mode():
        layer(x)
    assert len(calls) == 3


def test_eval_mode_with_autograd_still_trains_the_coefficients():
    """Bug fixed: in eval mode the cached (detached) filter used to be returned even with
    autograd on, so ``backward`` never reached ``weights`` (or failed outright)."""
    layer, x = _make("R2Conv")
    layer.eval()
    with torch.no_grad():
        layer(x)  # fill the cache
    y = layer(x).tensor
    assert y.requires_grad
    (y * _randn(*y.shape, seed=2)).sum().backward()
    assert layer.weights.grad is not None and layer.weights.grad.abs().max() > 0
    assert layer.bias.grad is not None and layer.bias.grad.abs().max() > 0


def test_filter_cached_in_inference_mode_does_not_poison_autograd():
    """Bug fixed: a filter cached under ``torch.inference_mode()`` made every later eval-mode
    forward with autograd fail ("Inference tensors cannot be saved for backward")."""
    layer, x = _make("R2Conv")
    layer.eval()
    for frozen in (False, True):  # also with frozen coefficients (input gradients, saliency maps)
        layer.requires_grad_(not frozen)
        with torch.inference_mode():
            layer(x)
        xin = x.tensor.clone().requires_grad_()
        layer(GeometricTensor(xin, layer.in_type)).tensor.square().sum().backward()
        assert xin.grad is not None and xin.grad.abs().max() > 0


def _optimizers():
    out = [
        pytest.param(lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9, foreach=False), id="SGD-loop"),
        pytest.param(lambda p: torch.optim.SGD(p, lr=0.1, foreach=True), id="SGD-foreach"),
        pytest.param(lambda p: torch.optim.Adam(p, lr=0.05, foreach=False), id="Adam-loop"),
        pytest.param(lambda p: torch.optim.Adam(p, lr=0.05, foreach=True), id="Adam-foreach"),
        pytest.param(lambda p: torch.optim.AdamW(p, lr=0.05, fused=True), id="AdamW-fused"),
    ]
    return out


@pytest.mark.parametrize("make_opt", _optimizers())
def test_eval_cache_invalidated_by_optimizer_step(make_opt):
    """Bug fixed: fused optimizers do not bump version counters, so a fused step in eval mode
    used to leave the cached filter stale."""
    layer, x = _make("R2Conv")
    opt = make_opt(layer.parameters())
    layer.eval()
    with torch.no_grad():
        y0 = layer(x).tensor
    y = layer(x).tensor
    (y * _randn(*y.shape, seed=3)).sum().backward()
    try:
        opt.step()
    except RuntimeError as err:  # pragma: no cover - depends on the torch build
        pytest.skip(f"optimizer unsupported on this build: {err}")
    with torch.no_grad():
        y1 = layer(x).tensor
    assert (y1 - y0).abs().max() > 1e-3
    torch.testing.assert_close(y1, _fresh_reference(layer, x), atol=1e-6, rtol=1e-6)


def test_eval_cache_invalidated_by_inplace_ops_and_load_state_dict():
    layer, x = _make("R2Conv")
    layer.eval()
    with torch.no_grad():
        y0 = layer(x).tensor
        layer.weights.mul_(-0.5)
        y1 = layer(x).tensor
        torch.testing.assert_close(y1, _fresh_reference(layer, x), atol=1e-6, rtol=1e-6)
        layer.bias.add_(1.0)
        y2 = layer(x).tensor
        torch.testing.assert_close(y2, _fresh_reference(layer, x), atol=1e-6, rtol=1e-6)
        assert (y1 - y0).abs().max() > 1e-3 and (y2 - y1).abs().max() > 1e-3
        other, _ = _make("R2Conv")
        other.reset_parameters(torch.Generator().manual_seed(9))
        layer.load_state_dict(other.state_dict())
        y3 = layer(x).tensor
        torch.testing.assert_close(y3, other.train()(x).tensor, atol=1e-6, rtol=1e-6)
        layer.reset_parameters(torch.Generator().manual_seed(10))
        torch.testing.assert_close(layer(x).tensor, _fresh_reference(layer, x), atol=1e-6, rtol=1e-6)


def test_writes_through_data_are_picked_up_after_eval():
    """``.data`` writes bypass the version counter (documented); re-entering eval() refreshes."""
    layer, x = _make("R2Conv")
    layer.eval()
    with torch.no_grad():
        layer(x)
        layer.weights.data.mul_(3.0)
        layer.eval()
        torch.testing.assert_close(layer(x).tensor, _fresh_reference(layer, x), atol=1e-6, rtol=1e-6)


@pytest.mark.parametrize("name", LAYERS)
def test_eval_cache_invalidated_by_dtype_change(name):
    layer, x = _make(name)
    layer.eval()
    with torch.no_grad():
        y32 = layer(x).tensor
        layer.to(torch.float64)
        assert all(b.dtype == torch.float64 for b in layer.buffers() if b.is_floating_point())
        x64 = x.to(torch.float64)
        y64 = layer(x64).tensor
        assert y64.dtype == torch.float64
        torch.testing.assert_close(y64.float(), y32, atol=1e-5, rtol=1e-5)
        torch.testing.assert_close(y64, _fresh_reference(layer, x64), atol=1e-12, rtol=1e-12)
        layer.float()
        assert layer(x).tensor.dtype == torch.float32


# ---------------------------------------------------------------------- state dict and buffers
def test_cache_not_in_state_dict():
    layer, x = _make("R2Conv")
    keys = set(layer.state_dict())
    assert keys == {"weights", "bias"}
    layer.eval()
    with torch.no_grad():
        layer(x)
    assert set(layer.state_dict()) == keys
    assert not any(k.startswith("basisexpansion") for k in layer.state_dict())


@pytest.mark.parametrize("save_mode,load_mode", [("train", "eval"), ("eval", "train"), ("eval", "eval")])
def test_state_dict_roundtrip_across_modes(save_mode, load_mode):
    layer, x = _make("R2Conv")
    layer.train(save_mode == "train")
    with torch.no_grad():
        y = layer(x).tensor
    buf = io.BytesIO()
    torch.save(layer.state_dict(), buf)
    buf.seek(0)
    t_in, t_out = _mixed_types()
    fresh = R2Conv(t_in, t_out, 3, padding=1)
    fresh.train(load_mode == "train")
    with torch.no_grad():
        fresh(x)  # a stale cache in the target must not survive the load
    fresh.load_state_dict(torch.load(buf, weights_only=True))
    with torch.no_grad():
        torch.testing.assert_close(fresh(x).tensor, y, atol=1e-6, rtol=1e-6)


def test_layers_do_not_share_buffers():
    a, x = _make("R2Conv")
    b, _ = _make("R2Conv")
    b.load_state_dict(a.state_dict())
    ptrs_a = {n: t.data_ptr() for n, t in a.named_buffers()}
    ptrs_b = {n: t.data_ptr() for n, t in b.named_buffers()}
    assert ptrs_a.keys() == ptrs_b.keys() and len(ptrs_a) >= 3
    assert not set(ptrs_a.values()) & set(ptrs_b.values())
    y_b = b(x).tensor.detach()
    a.double()
    assert all(t.dtype == torch.float32 for t in b.buffers() if t.is_floating_point())
    assert b.weights.dtype == torch.float32
    torch.testing.assert_close(b(x).tensor.detach(), y_b, atol=0, rtol=0)
    torch.testing.assert_close(a(x.to(torch.float64)).tensor.float().detach(), y_b, atol=1e-5, rtol=1e-5)


# ---------------------------------------------------------------------- gradients and bias
@pytest.mark.parametrize("name", LAYERS)
def test_gradient_reaches_every_coefficient_and_bias(name):
    layer, x = _make(name)
    layer.double()
    y = layer(x.to(torch.float64)).tensor
    (y * _randn(*y.shape, seed=4, dtype=torch.float64)).sum().backward()
    g = layer.weights.grad
    assert g is not None and g.shape == layer.weights.shape
    assert (g.abs() > 1e-10 * g.abs().max()).all(), f"{int((g == 0).sum())} of {g.numel()} coefficients get no gradient"
    if layer.bias is not None:
        assert (layer.bias.grad.abs() > 0).all()


def _bias_cases():
    gs = flipRot2dOnR2(4, axis=0.0)
    G = gs.fibergroup
    so2 = rot2dOnR2(-1, maximum_frequency=3)
    return [
        ("regular", FieldType(gs, 3 * [gs.regular_repr]), 3),
        ("trivial", FieldType(gs, 2 * [gs.trivial_repr]), 2),
        ("sign-irrep", FieldType(gs, [G.irrep(1, 0)]), 0),
        ("2d-irreps", FieldType(gs, [G.irrep(1, 1), G.irrep(0, 2), G.irrep(1, 2)]), 0),
        ("quotients", FieldType(gs, [gs.quotient_repr((0, 1)), gs.quotient_repr((None, 4))]), 2),
        ("mixed", FieldType(gs, [G.irrep(1, 1), gs.regular_repr, directsum([G.irrep(1, 0), gs.trivial_repr, gs.trivial_repr])]), 3),
        ("so2-irreps", FieldType(so2, [so2.irrep(1), so2.irrep(2)]), 0),
        ("so2-mixed", FieldType(so2, [so2.irrep(1), so2.irrep(0), so2.fibergroup.bl_regular_representation(1)]), 2),
    ]


@pytest.mark.parametrize("name,out_type,n_bias", _bias_cases(), ids=[c[0] for c in _bias_cases()])
def test_bias_only_on_trivial_components(name, out_type, n_bias):
    gs = out_type.gspace
    in_type = FieldType(gs, [gs.trivial_repr, gs.irrep(*gs.irreps[1].id)])
    layer = R2Conv(in_type, out_type, 3, padding=1)
    assert (layer.bias is None) == (n_bias == 0)
    assert R2Conv(in_type, out_type, 3, padding=1, bias=False).bias is None
    if n_bias == 0:
        return
    assert layer.bias.numel() == n_bias
    with torch.no_grad():
        layer.weights.zero_()
        layer.bias.normal_(generator=torch.Generator().manual_seed(0))
    _, b = layer.expand_parameters()
    b = b.detach().double().numpy()
    assert abs(b).max() > 1e-3
    elements = gs.fibergroup.elements if not gs.fibergroup.continuous else gs.fibergroup.grid("regular", 7)
    for g in elements:  # the bias vector is invariant under every group element, not just grid ones
        assert abs(out_type.fiber_matrix(g) @ b - b).max() < 1e-6
    with torch.no_grad():
        layer.weights.normal_()
    layer.check_equivariance(atol=1e-6, rtol=1e-5)


# ---------------------------------------------------------------------- initialisation
def _init_cases():
    d8 = flipRot2dOnR2(8, axis=0.0)
    c4 = rot2dOnR2(4)
    so2 = rot2dOnR2(-1, maximum_frequency=3)
    G = d8.fibergroup
    mixed = FieldType(d8, 2 * [d8.regular_repr, G.irrep(1, 1), G.irrep(1, 0), d8.trivial_repr, G.irrep(1, 3)])
    return [
        ("C4 regular k3", FieldType(c4, 8 * [c4.regular_repr]), FieldType(c4, 8 * [c4.regular_repr]), 3),
        ("C4 trivial->regular k5", FieldType(c4, 16 * [c4.trivial_repr]), FieldType(c4, 8 * [c4.regular_repr]), 5),
        ("C4 regular->trivial k3", FieldType(c4, 8 * [c4.regular_repr]), FieldType(c4, 16 * [c4.trivial_repr]), 3),
        ("D8 regular k5", FieldType(d8, 4 * [d8.regular_repr]), FieldType(d8, 4 * [d8.regular_repr]), 5),
        ("D8 mixed k3", mixed, mixed, 3),
        ("SO(2) irreps k5", FieldType(so2, 4 * [so2.irrep(k) for k in range(4)]), FieldType(so2, 4 * [so2.irrep(k) for k in range(4)]), 5),
    ]


@pytest.mark.parametrize("name,t_in,t_out,k", _init_cases(), ids=[c[0] for c in _init_cases()])
def test_he_like_initialisation_variance(name, t_in, t_out, k):
    """basis_expansion.py promises output variance ~2 per unit input variance (kaiming_normal_).

    Measured (mean over 4 seeds, interior pixels, unit-variance white-noise input):
    1.9-2.2 overall, and 1.6-2.5 for each kind of output field.  Asserted: overall within
    [1.33, 3.0] (a factor 1.5 of 2) and every output field kind within [1.0, 4.0].
    """
    totals, per_kind = [], {}
    for seed in range(4):
        torch.manual_seed(seed)
        layer = R2Conv(t_in, t_out, k, padding=k // 2, bias=False)
        x = torch.randn(4, t_in.size, 24, 24)
        with torch.no_grad():
            y = layer(GeometricTensor(x, t_in)).tensor[..., k:-k, k:-k]
        totals.append(float(y.var()))
        for r, fields in t_out.group_fields().items():
            idx = t_out.channel_indices(fields)
            per_kind.setdefault(r.name, []).append(float(y[:, idx].square().mean()))
    total = sum(totals) / len(totals)
    kinds = {n: sum(v) / len(v) for n, v in per_kind.items()}
    print(f"{name}: output variance {total:.2f}; per kind " + ", ".join(f"{n}={v:.2f}" for n, v in kinds.items()))
    assert 2 / 1.5 <= total <= 2 * 1.5
    for n, v in kinds.items():
        assert 1.0 <= v <= 4.0, f"{name}: output fields {n} have variance {v:.2f}"


# ---------------------------------------------------------------------- dtypes
def test_float64_input_to_float32_layer():
    layer, x = _make("R2Conv")
    y32 = layer(x).tensor
    y64 = layer(x.to(torch.float64)).tensor
    assert y64.dtype == torch.float64
    torch.testing.assert_close(y64.float(), y32, atol=1e-5, rtol=1e-5)


def test_float64_layer_is_equivariant_to_round_off():
    layer, _ = _make("R2Conv")
    layer.double()
    errors = layer.check_equivariance(atol=1e-12, rtol=1e-12)
    assert max(e for _, e in errors) < 1e-12


@pytest.mark.parametrize("dtype,tol", [(torch.bfloat16, 3e-2), (torch.float16, 5e-3)])
@pytest.mark.parametrize("name", ["R2Conv", "R2ConvTransposed", "R3Conv"])
def test_half_precision_inputs(dtype, tol, name):
    """bfloat16 and float16 conv2d/conv3d (and transposes) run on CPU in torch >= 2.1."""
    layer, x = _make(name)
    with torch.no_grad():
        y32 = layer(x).tensor
        scale = y32.abs().max()
        for mode in (True, False):  # fresh expansion and the eval cache
            layer.train(mode)
            y = layer(x.to(dtype)).tensor
            assert y.dtype == dtype
            assert float((y.float() - y32).abs().max() / scale) < tol
        layer.to(dtype)  # a half-precision layer, filter expanded in half precision
        errors = layer.check_equivariance(x.tensor.to(dtype), atol=0, rtol=tol)
        assert all(e == e for _, e in errors)  # no NaNs


# ---------------------------------------------------------------------- construction time
def test_wide_model_construction_time():
    """10 R2Conv layers, D8, 80 regular fields in and out (1280 channels), 3x3 kernels.

    Not a timed assertion: the time is printed (run with -s) and reported.  Measured on the
    2-core box in a fresh process: 0.35 s for all ten with one torch thread (614,400
    coefficients per layer; the first layer computes the kernel basis), 1.2-4 s with torch's
    default two threads while the box was loaded.
    """
    gs = flipRot2dOnR2(8, axis=0.0)
    t = FieldType(gs, 80 * [gs.regular_repr])
    t0 = time.perf_counter()
    layers = [R2Conv(t, t, 3, padding=1) for _ in range(10)]
    elapsed = time.perf_counter() - t0
    print(f"\nbuilt 10 x R2Conv(D8, 80 regular -> 80 regular, k=3) in {elapsed:.2f} s "
          f"({layers[0].weights.numel()} coefficients per layer)")
    assert all(layer.weights.numel() == layers[0].weights.numel() for layer in layers)
    with torch.no_grad():
        y = layers[0].eval()(GeometricTensor(torch.randn(1, t.size, 5, 5), t))
    assert y.shape == (1, t.size, 5, 5)


def test_recompute_expands_the_filter_at_every_eval_call(monkeypatch):
    """escnn's ``recompute=True``: no eval-mode cache."""
    gs = rot2dOnR2(4)
    t = FieldType(gs, 2 * [gs.regular_repr])
    layer = R2Conv(t, t, 3, padding=1, recompute=True).eval()
    x = GeometricTensor(_randn(1, t.size, 7, 7), t)
    calls = []
    original = layer.expand_parameters
    monkeypatch.setattr(layer, "expand_parameters", lambda: calls.append(1) or original())
    with torch.no_grad():
        layer(x), layer(x)
    assert len(calls) == 2


def test_filter_attribute_is_the_filter_the_layer_convolves_with():
    gs = rot2dOnR2(4)
    t = FieldType(gs, 2 * [gs.regular_repr])
    layer = R2Conv(t, t, 3, padding=1, bias=False).eval()
    x = GeometricTensor(_randn(1, t.size, 7, 7), t)
    with torch.no_grad():
        assert layer.filter.shape == (t.size, t.size, 3, 3)
        torch.testing.assert_close(torch.nn.functional.conv2d(x.tensor, layer.filter, padding=1), layer(x).tensor)
