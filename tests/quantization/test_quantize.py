"""INT8 post-training quantisation: exact invariance with per-field scales, accuracy, clear errors."""
from __future__ import annotations

import pytest
import torch

from steerable.models import count_macs, mobilenet_v2
from steerable.quantization import PerFieldMinMaxObserver, quantize, state_dict_bytes

SIDE = 17  # 2^4 + 1: every stride-2 layer sees an odd side, so 90-degree rotations act exactly on the grid


def _disks(n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Noisy coloured disks at jittered centres; label: radius above 4 (a rotation- and flip-invariant rule)."""
    g = torch.Generator().manual_seed(seed)
    yy, xx = torch.meshgrid(torch.arange(float(SIDE)), torch.arange(float(SIDE)), indexing="ij")
    r = 2 + 4 * torch.rand(n, generator=g)
    c = (SIDE - 1) / 2 + 1.5 * torch.randn(n, 2, generator=g)
    d = ((xx - c[:, 0, None, None]) ** 2 + (yy - c[:, 1, None, None]) ** 2).sqrt()
    img = torch.sigmoid(2 * (r[:, None, None] - d))[:, None] * torch.tensor([0.8, 0.4, 0.6]).view(1, 3, 1, 1)
    return img + 0.1 * torch.randn(n, 3, SIDE, SIDE, generator=g), (r > 4).long()


@pytest.fixture(scope="module")
def trained():
    """A tiny D4 MobileNetV2 trained for a few hundred steps' worth of images on the disk task (a few seconds)."""
    torch.manual_seed(0)
    net = mobilenet_v2("d4", num_classes=2, width_mult=0.25, setting="tiny", last_channel=32, dropout=0.0)
    x, y = _disks(384, 0)
    opt = torch.optim.Adam(net.parameters(), 5e-3)
    for _ in range(4):
        for i in range(0, len(x), 64):
            loss = torch.nn.functional.cross_entropy(net(x[i:i + 64]), y[i:i + 64])
            opt.zero_grad()
            loss.backward()
            opt.step()
    net.eval()
    return net, net.export(), x[:48]


def _d4(x: torch.Tensor) -> list[torch.Tensor]:
    return [torch.rot90(x.flip(3) if f else x, k, (2, 3)) for f in (False, True) for k in range(4)]


def _output_step(q: torch.nn.Module) -> float:
    """Scale of the quantised logits: the last quantisation step before the output is dequantised."""
    last = [m for m in q.modules() if type(m).__name__ == "Linear" and hasattr(m, "scale")][-1]
    return float(last.scale)


@pytest.fixture(scope="module")
def quantised(trained):
    _, plain, cal = trained
    return {s: quantize(plain, cal, scheme=s) for s in ("per-field", "per-channel", "per-tensor")}


def test_per_field_int8_invariant_within_one_step(quantised):
    q = quantised["per-field"]
    x = _disks(32, 5)[0]
    with torch.no_grad():
        ys = [q(g) for g in _d4(x)]
    step = _output_step(q)
    assert 0 < step < 0.5
    for y in ys[1:]:
        assert (y - ys[0]).abs().max().item() <= step + 1e-6


def test_per_field_scales_are_constant_on_fields(quantised):
    q = quantised["per-field"]
    convs = [m for m in q.modules() if type(m).__name__.startswith("Conv") and hasattr(m, "weight") and callable(m.weight)]
    assert convs
    for m in convs:
        s = m.weight().q_per_channel_scales()
        assert torch.equal(s.view(-1, 8), s.view(-1, 8)[:, :1].expand(-1, 8))


def test_per_channel_scales_of_an_equivariant_filter_already_coincide_on_fields(quantised):
    # every channel of a regular field holds a rotated / permuted copy of the same weights, so a
    # min/max per-channel observer finds equal ranges inside each field: torch's per-channel
    # scheme is per-field here (up to float rounding of the expanded filters), and invariant too
    q = quantised["per-channel"]
    convs = [m for m in q.modules() if type(m).__name__.startswith("Conv") and hasattr(m, "weight") and callable(m.weight)]
    for m in convs:
        s = m.weight().q_per_channel_scales().view(-1, 8)
        torch.testing.assert_close(s, s[:, :1].expand(-1, 8), rtol=1e-5, atol=0)
    x = _disks(16, 6)[0]
    with torch.no_grad():
        ys = [q(g) for g in _d4(x)]
    assert max((y - ys[0]).abs().max().item() for y in ys) <= _output_step(q) + 1e-6


def test_per_channel_scales_differ_on_fields_when_ranges_differ():
    # where the channel ranges inside a field differ (a filter equivariant only up to a per-channel
    # gain), per-channel scales differ across the field and per-field ones do not
    conv = torch.nn.Conv2d(3, 16, 3, padding=1, bias=False)
    with torch.no_grad():
        conv.weight.mul_((1 + torch.arange(16.0) / 16).view(16, 1, 1, 1))
    conv.field_size = 8
    x = torch.randn(8, 3, SIDE, SIDE)
    for scheme, tied in (("per-field", True), ("per-channel", False)):
        q = quantize(torch.nn.Sequential(conv).eval(), x, scheme=scheme)
        sc = [m for m in q.modules() if hasattr(m, "weight") and callable(m.weight)][0].weight().q_per_channel_scales()
        assert (len(set(sc.view(2, 8)[0].tolist())) == 1) == tied


def test_quantised_accuracy_within_one_point(trained, quantised):
    net, plain, _ = trained
    x, y = _disks(256, 7)
    with torch.no_grad():
        acc32 = (net(x).argmax(1) == y).float().mean().item()
        assert acc32 > 0.85  # the model learned the task: the comparison is meaningful
        for s in ("per-field", "per-tensor"):
            acc8 = (quantised[s](x).argmax(1) == y).float().mean().item()
            assert abs(acc8 - acc32) <= 0.01, (s, acc8, acc32)


def test_int8_weights_about_four_times_smaller(trained, quantised):
    _, plain, _ = trained
    ratio = state_dict_bytes(plain) / state_dict_bytes(quantised["per-field"])
    assert ratio > 2.0  # the tiny model is dominated by biases and pickling overhead; see the study for MobileNetV2
    assert count_macs(quantised["per-field"], (1, 3, SIDE, SIDE)).macs == count_macs(plain, (1, 3, SIDE, SIDE)).macs


def test_observer_ties_scales():
    obs = PerFieldMinMaxObserver(field_size=4)
    w = torch.randn(8, 2, 3, 3)
    obs(w)
    s, _ = obs.calculate_qparams()
    assert torch.allclose(s[:4], w[:4].abs().max() / 127.5 * torch.ones(4))
    with pytest.raises(ValueError, match="field_size"):
        PerFieldMinMaxObserver(field_size=0)


def test_not_exported_is_a_clear_error(trained):
    net, _, cal = trained
    with pytest.raises(ValueError, match=r"export\(\)"):
        quantize(net, cal)


def test_wrong_calibration_shape_is_a_clear_error(trained):
    _, plain, _ = trained
    with pytest.raises(ValueError, match=r"\(N, 3, H, W\).*\(4, 1, 17, 17\)"):
        quantize(plain, torch.randn(4, 1, SIDE, SIDE))
    with pytest.raises(ValueError, match="empty"):
        quantize(plain, [])


def test_bad_scheme_backend_and_missing_fields():
    net = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3)).eval()
    with pytest.raises(ValueError, match="scheme"):
        quantize(net, torch.randn(2, 3, 5, 5), scheme="per-pixel")
    with pytest.raises(ValueError, match="backend"):
        quantize(net, torch.randn(2, 3, 5, 5), backend="tpu")
    with pytest.raises(ValueError, match="field_size"):
        quantize(net, torch.randn(2, 3, 5, 5), scheme="per-field")
