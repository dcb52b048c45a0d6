"""MobileNetV2: invariance of the equivariant logits, export with BN folded, torchvision's architecture, MAC counter."""
from __future__ import annotations

import pytest
import torch

from steerable.models import EquivariantMobileNetV2, PlainMobileNetV2, build_model, canonical_model_name, count_macs, mobilenet_v2


def _d4_images(x: torch.Tensor) -> list[torch.Tensor]:
    """The 8 images ``g x`` for g in D4 (rotations by k 90 degrees, with and without a flip)."""
    return [torch.rot90(x.flip(3) if f else x, k, (2, 3)) for f in (False, True) for k in range(4)]


def _randomise_bn(net: torch.nn.Module, seed: int = 0) -> None:
    """Non-trivial running statistics and affine maps (the untrained ones are identities) and O(1) logits."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for m in net.modules():
            if hasattr(m, "running_var") and m.running_var is not None:
                m.running_mean.copy_(0.1 * torch.randn(m.running_mean.shape, generator=g))
                m.running_var.copy_(0.5 + torch.rand(m.running_var.shape, generator=g))
                m.weight.copy_(0.8 + 0.4 * torch.rand(m.weight.shape, generator=g))
                m.bias.copy_(0.1 * torch.randn(m.bias.shape, generator=g))
            if isinstance(m, torch.nn.Linear):
                m.weight.copy_(torch.randn(m.weight.shape, generator=g) / m.in_features ** 0.5)


@pytest.fixture(scope="module")
def tiny_d4() -> EquivariantMobileNetV2:
    torch.manual_seed(0)
    net = mobilenet_v2("d4", num_classes=3, width_mult=0.25, setting="tiny", last_channel=64)
    _randomise_bn(net)
    return net.eval()


def test_d4_logits_invariant_under_all_eight_elements(tiny_d4):
    x = torch.randn(3, 3, 33, 33)
    with torch.no_grad():
        ys = [tiny_d4(gx) for gx in _d4_images(x)]
    assert ys[0].abs().max() > 0.1  # logits of order one: the tolerance below is meaningful
    for y in ys[1:]:
        torch.testing.assert_close(y, ys[0], atol=1e-5, rtol=0)


def test_plain_model_is_not_invariant():
    torch.manual_seed(0)
    net = mobilenet_v2("trivial", num_classes=3, width_mult=0.25, setting="tiny", last_channel=64)
    _randomise_bn(net)
    net.eval()
    x = torch.randn(3, 3, 33, 33)
    with torch.no_grad():
        assert (net(torch.rot90(x, 1, (2, 3))) - net(x)).abs().max() > 1e-3


@pytest.mark.parametrize("group", ["c4", "c8", "d8"])
def test_other_groups_invariant_under_90_degree_rotations(group):
    torch.manual_seed(1)
    net = mobilenet_v2(group, num_classes=2, width_mult=0.25, setting="tiny", last_channel=32)
    _randomise_bn(net)
    net.eval()
    x = torch.randn(2, 3, 33, 33)
    with torch.no_grad():
        torch.testing.assert_close(net(torch.rot90(x, 1, (2, 3))), net(x), atol=1e-5, rtol=0)


def test_export_is_plain_with_bn_folded_and_equal(tiny_d4):
    plain = tiny_d4.export()
    assert isinstance(plain, PlainMobileNetV2)
    kinds = {type(m).__module__.split(".")[0] for m in plain.modules()}
    assert kinds <= {"torch", "steerable"} and not any("BatchNorm" in type(m).__name__ for m in plain.modules())
    convs = [m for m in plain.modules() if isinstance(m, torch.nn.Conv2d)]
    assert convs and all(c.field_size == 8 and c.bias is not None for c in convs)
    x = torch.randn(4, 3, 33, 33)
    with torch.no_grad():
        torch.testing.assert_close(plain(x), tiny_d4(x), atol=1e-5, rtol=0)


def test_depthwise_is_per_field():
    net = mobilenet_v2("d4", width_mult=0.25, setting="tiny", last_channel=32)
    dw = net.blocks[0].convs[0]
    assert dw.kernel_size == 3 and dw.groups == len(dw.in_type) == len(dw.out_type)
    assert dw.filter.shape == (dw.out_type.size, 8, 3, 3)


def test_trained_step_then_eval_still_invariant():
    torch.manual_seed(2)
    net = mobilenet_v2("d4", num_classes=2, width_mult=0.25, setting="tiny", last_channel=32)
    opt = torch.optim.SGD(net.parameters(), lr=0.1)
    x = torch.randn(8, 3, 33, 33)
    loss = torch.nn.functional.cross_entropy(net(x), torch.randint(0, 2, (8,)))
    loss.backward()
    opt.step()
    net.eval()
    with torch.no_grad():
        torch.testing.assert_close(net(x.flip(2)), net(x), atol=1e-5, rtol=0)


def test_plain_matches_torchvision_parameter_count():
    # torchvision's mobilenet_v2(num_classes=1000) has 3,504,872 parameters
    assert sum(p.numel() for p in mobilenet_v2("trivial", num_classes=1000).parameters()) == 3504872
    tv = pytest.importorskip("torchvision")
    for wm in (1.0, 0.5):
        ref = sum(p.numel() for p in tv.models.mobilenet_v2(width_mult=wm, num_classes=10).parameters())
        assert sum(p.numel() for p in mobilenet_v2("trivial", num_classes=10, width_mult=wm).parameters()) == ref


def test_plain_export_folds_bn():
    torch.manual_seed(3)
    net = mobilenet_v2("trivial", num_classes=4, width_mult=0.25, setting="tiny", last_channel=32)
    _randomise_bn(net)
    net.eval()
    x = torch.randn(2, 3, 33, 33)
    with torch.no_grad():
        torch.testing.assert_close(net.export()(x), net(x), atol=1e-5, rtol=0)


def test_channel_rules():
    p = mobilenet_v2("d4", width_mult=1.0, channels="params")
    m = mobilenet_v2("d4", width_mult=1.0, channels="macs")
    # plain stem 32 channels: 32 / sqrt(8) -> 11 fields; 32 / 8 -> 4 fields (32 channels, as plain)
    assert p.fields[0] == 11 and m.fields[0] == 4 and m.fields[-1] == 160
    # the 1x1 layers of the "params" rule have about the plain count of parameters
    c = p.blocks[1].convs[0]
    assert c.weights.numel() == len(c.in_type) * len(c.out_type) * 8


@pytest.mark.parametrize("bad", ["so2", "d16|c16", "x4", "c1|c1x"])
def test_unknown_group_is_a_clear_error(bad):
    with pytest.raises(ValueError, match="group|unknown"):
        mobilenet_v2(bad)


def test_wrong_channel_count_is_a_clear_error(tiny_d4):
    with pytest.raises(ValueError, match=r"\(batch, 3, H, W\).*\(1, 1, 33, 33\)"):
        tiny_d4(torch.randn(1, 1, 33, 33))


def test_registry_names():
    assert canonical_model_name("MobileNet-D4") == "mobilenet-d4"
    assert canonical_model_name("mobilenet") == "mobilenet"
    net = build_model("mobilenet-c4", num_classes=2, in_channels=1, image_size=33, width_mult=0.25, setting="tiny")
    assert isinstance(net, EquivariantMobileNetV2) and net.spec.name == "c4"
    with pytest.raises(ValueError, match="mobilenet"):
        canonical_model_name("mobilenet-so2")


# ---------------------------------------------------------------------- MAC counter
def test_count_macs_conv_formula():
    conv = torch.nn.Conv2d(6, 10, (3, 5), stride=2, padding=1, groups=2)
    cost = count_macs(conv, (2, 6, 17, 15))
    h, w = (17 + 2 - 3) // 2 + 1, (15 + 2 - 5) // 2 + 1
    assert cost.macs == 2 * 10 * h * w * (6 // 2) * 15
    assert cost.parameters == 10 * 3 * 15 + 10 and cost.weight_bytes == 4 * cost.parameters


def test_count_macs_sequential_and_linear():
    net = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 1), torch.nn.ReLU(), torch.nn.Flatten(), torch.nn.Linear(4 * 25, 7))
    assert count_macs(net, (1, 3, 5, 5)).macs == 4 * 25 * 3 + 100 * 7


def test_count_macs_steerable_equals_export(tiny_d4):
    a, b = count_macs(tiny_d4, (1, 3, 33, 33)), count_macs(tiny_d4.export(), (1, 3, 33, 33))
    assert a.macs == b.macs > 0


def test_count_macs_plain_mobilenet_known_value():
    # torchvision's MobileNetV2 at 224x224: 300.77 M multiply-adds (convolutions and classifier)
    assert count_macs(mobilenet_v2("trivial", num_classes=1000), (1, 3, 224, 224)).macs == 300774272


def test_count_macs_bad_input():
    with pytest.raises(TypeError, match="torch.nn.Module"):
        count_macs("net", (1, 3))
    with pytest.raises(ValueError, match="input_shape"):
        count_macs(torch.nn.Linear(2, 2), (0, 2))
