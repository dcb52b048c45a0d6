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
    ("rot2dOnR3", ["n", "adjoint", "maximum_frequency"]),
    ("dihedralOnR3", ["n", "axis", "adjoint", "maximum_frequency"]),
    ("conicalOnR3", ["n", "axis", "adjoint", "maximum_frequency"]),
])
def test_factory_signatures_match_escnn(name: str, params: list[str]) -> None:
    sig = inspect.signature(getattr(gspaces, name))
    assert list(sig.parameters) == params
    defaults = {"N": -1, "n": -1, "maximum_frequency": 6 if name.endswith("R2") else None, "axis": math.pi / 2,
                "adjoint": None}
    for p in params:
        if defaults[p] is not None:
            assert sig.parameters[p].default == defaults[p]


def test_R3_factories_turn_the_flip_axis_as_escnn() -> None:
    """escnn: dihedralOnR3's flip is the pi-rotation about the horizontal axis at angle ``axis``
    (default pi/2: the y axis), conicalOnR3's mirror plane holds that axis and z."""
    for make, default, turned in [
        (gspaces.dihedralOnR3, np.diag([-1.0, 1, -1]), np.diag([1.0, -1, -1])),
        (gspaces.conicalOnR3, np.diag([-1.0, 1, 1]), np.diag([1.0, -1, 1])),
    ]:
        for axis, A in [(math.pi / 2, default), (0.0, turned)]:
            gs = make(4, axis=axis)
            np.testing.assert_allclose(gs.basespace_action(gs.fibergroup.element((1, 0))), A, atol=1e-12)
    gs = gspaces.dihedralOnR3(-1, axis=0.3)  # any axis: O(2) with a turned flip, still a representation
    G = gs.fibergroup
    g, h = G.element((1, 0.4)), G.element((0, 1.1))
    np.testing.assert_allclose(gs.basespace_action(g @ h), gs.basespace_action(g) @ gs.basespace_action(h), atol=1e-12)
    with pytest.raises(ValueError, match="n must be"):
        gspaces.rot2dOnR3(0)


