"""Model names, group specs, parameter-count matching and argument errors."""
from __future__ import annotations

import pytest
import torch

from steerable.models import (
    MODEL_NAMES, ConvNet, SteerableCNN, build_model, canonical_model_name, count_parameters, parse_group_spec,
    parse_wrn_name,
)

#: stated band: an equivariant model has within +-10 % of the CNN's parameters at the same width
PARAM_BAND = 0.10


@pytest.mark.parametrize("name, width", [
    ("c4", 0.5), ("c8", 0.5), ("c8", 1.0), ("c16", 0.5), ("d4", 1.0), ("d8", 0.5), ("so2", 0.5), ("o2", 1.0),
    ("d8|c4", 0.5),
])
def test_parameter_counts_match_the_cnn(name, width):
    cnn = count_parameters(ConvNet(width=width))
    m = build_model(name, width=width)
    ratio = count_parameters(m) / cnn
    assert abs(ratio - 1) < PARAM_BAND, (name, width, ratio)
    assert m.param_ratio == pytest.approx(ratio)


def test_width_rule_without_fitting_scales_fields_by_sqrt_of_field_dim():
    m = SteerableCNN("c16", width=1.0, match_params=False)
    assert m.fields == [max(1, round(c / 4)) for c in (16, 24, 32, 32, 48, 64)]
    assert m.scale == 1.0


def test_explicit_fields_and_restriction():
    m = SteerableCNN("d4", restrict="c4", fields=[1, 2, 2, 2, 2, 3], restrict_layer=2)
    assert m.fields == [1, 2, 2, 2, 2, 3]
    assert m.spec.full_name == "d4|c4"
    assert m.restricted_type is not None and m.restricted_type.fibergroup.name == "C4"
    assert m(torch.zeros(2, 1, 29, 29)).shape == (2, 10)


@pytest.mark.parametrize("spec, name, rid", [
    ("c8", "c8", None), ("D16|C16", "d16", (None, 16)), ("d8|d4", "d8", (0, 4)), ("o2|so2", "o2", (None, -1)),
    ("so2|c8", "so2", 8), ("c8|c4", "c8", 4), ("o2|d4", "o2", (0.0, 4)), ("trivial", "c1", None),
])
def test_group_specs(spec, name, rid):
    s = parse_group_spec(spec)
    assert s.name == name and s.restrict_id == rid


@pytest.mark.parametrize("bad", ["c0", "x8", "c8|c3", "c8|d4", "so2|o2", "d8|c4|c2", "", "d8|d3"])
def test_bad_group_specs(bad):
    with pytest.raises(ValueError):
        parse_group_spec(bad)


def test_registry_names():
    assert canonical_model_name("CNN") == "cnn"
    assert canonical_model_name("wrn-16-4-D8|C4") == "wrn-16-4-d8|c4"
    assert parse_wrn_name("wrn-28-10") == {"depth": 28, "widen_factor": 10}
    for n in MODEL_NAMES:
        assert canonical_model_name(n) == n
    with pytest.raises(ValueError, match="unknown model"):
        build_model("resnet50")
    with pytest.raises(ValueError):
        build_model("wrn-15-4")  # depth must be 6n + 4
    with pytest.raises(ValueError, match="too small"):
        build_model("cnn", image_size=9)


def test_models_describe_themselves():
    d = build_model("c4", width=0.25).describe()
    assert d["group"] == "c4" and len(d["fields"]) == 6
    assert build_model("cnn", width=0.25).describe()["kind"] == "cnn"
