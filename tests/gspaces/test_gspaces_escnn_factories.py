"""The gspace factories take escnn 1.0's arguments with escnn's defaults and meanings."""
from __future__ import annotations

import inspect
import math

import numpy as np
import pytest

from steerable import gspaces


def test_rot2dOnR2_default_is_SO2_with_band_limit_6() -> None:
    gs = gspaces.rot2dOnR2()
    assert gs.fibergroup.continuous and not gs.fibergroup.name.startswith("O")
    assert max(psi.id[-1] for psi in gs.irreps) == 6
    assert gspaces.rot2dOnR2(8).fibergroup.name == "C8"


def test_flipRot2dOnR2_second_positional_argument_is_maximum_frequency() -> None:
    gs = gspaces.flipRot2dOnR2(-1, 4)
    assert gs.fibergroup.name == "O(2)"
    assert max(psi.id[-1] for psi in gs.irreps) == 4
    # the mirror stays escnn's default pi/2: (x0, x1) -> (-x0, x1)
    flips = [g for g in gs.testing_elements if np.linalg.det(gs.basespace_action(g)) < 0]
    assert any(np.allclose(gs.basespace_action(g), np.diag([-1.0, 1.0])) for g in flips)


def test_flipRot2dOnR2_default_axis_is_pi_over_2() -> None:
    assert gspaces.flipRot2dOnR2(4) == gspaces.flipRot2dOnR2(4, axis=math.pi / 2)
    assert gspaces.flipRot2dOnR2(4) != gspaces.flipRot2dOnR2(4, axis=0.0)


@pytest.mark.parametrize("name, params", [
    ("rot2dOnR2", ["N", "maximum_frequency"]),
    ("flipRot2dOnR2", ["N", "maximum_frequency", "axis"]),
    ("flip2dOnR2", ["axis"]),
    ("rot3dOnR3", ["maximum_frequency"]),
    ("flipRot3dOnR3", ["maximum_frequency"]),
    ("rot2dOnR3", ["n", "maximum_frequency"]),
])
def test_factory_signatures_match_escnn(name: str, params: list[str]) -> None:
    sig = inspect.signature(getattr(gspaces, name))
    assert list(sig.parameters) == params
    defaults = {"N": -1, "n": -1, "maximum_frequency": 6 if name.endswith("R2") else None, "axis": math.pi / 2}
    for p in params:
        if defaults[p] is not None:
            assert sig.parameters[p].default == defaults[p]


def test_R3_factories_refuse_an_unsupported_axis() -> None:
    with pytest.raises(ValueError, match="axis"):
        gspaces.dihedralOnR3(4, axis=0.3)
