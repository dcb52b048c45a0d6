"""``export()``: a plain torch module computing the same function, loadable without steerable."""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest
import torch

from steerable.gspaces import flipRot2dOnR2, rot2dOnR2, rot3dOnR3
from steerable.nn import FieldType, GeometricTensor, Linear, R2Conv, R2ConvTransposed, R3Conv, R3ConvTransposed


def _randn(*shape, seed=0, dtype=torch.float32):
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed), dtype=dtype)


def _planar_types():
    gs = flipRot2dOnR2(4, axis=0.0)
    G = gs.fibergroup
    t_in = FieldType(gs, [gs.regular_repr, gs.trivial_repr, G.irrep(1, 1)])
    t_out = FieldType(gs, [G.irrep(1, 1), gs.quotient_repr((0, 1)), gs.regular_repr])
    return t_in, t_out


def _spatial_types():
    gs = rot3dOnR3()
    G = gs.fibergroup
    return FieldType(gs, [G.irrep(0), G.irrep(1)]), FieldType(gs, [G.irrep(1), G.irrep(0), G.irrep(2)])


def _grouped_types():
    gs = rot2dOnR2(4)
    return FieldType(gs, 2 * [gs.regular_repr, gs.irrep(1)]), FieldType(gs, 2 * [gs.trivial_repr, gs.regular_repr])


PLAIN = {R2Conv: torch.nn.Conv2d, R3Conv: torch.nn.Conv3d, R2ConvTransposed: torch.nn.ConvTranspose2d,
         R3ConvTransposed: torch.nn.ConvTranspose3d}

CONFIGS = [
    ("r2", R2Conv, _planar_types, dict(kernel_size=3, padding=1), 9),
    ("r2-stride-dilation", R2Conv, _planar_types, dict(kernel_size=5, padding=4, stride=2, dilation=2), 11),
    ("r2-reflect", R2Conv, _planar_types, dict(kernel_size=5, padding=2, padding_mode="reflect"), 8),
    ("r2-circular", R2Conv, _planar_types, dict(kernel_size=3, padding=1, padding_mode="circular"), 7),
    ("r2-replicate-nobias", R2Conv, _planar_types, dict(kernel_size=3, padding=1, padding_mode="replicate", bias=False), 7),
    ("r2-groups", R2Conv, _grouped_types, dict(kernel_size=3, padding=1, groups=2), 7),
    ("r2T", R2ConvTransposed, _planar_types, dict(kernel_size=3, padding=1, stride=2, output_padding=1), 5),
    ("r2T-groups", R2ConvTransposed, _grouped_types, dict(kernel_size=5, padding=2, stride=2, groups=2), 5),
    ("r3", R3Conv, _spatial_types, dict(kernel_size=3, padding=1), 5),
    ("r3T", R3ConvTransposed, _spatial_types, dict(kernel_size=3, padding=0, stride=2), 4),
]


@pytest.mark.parametrize("name,cls,types,kwargs,n", CONFIGS, ids=[c[0] for c in CONFIGS])
@pytest.mark.parametrize("mode", ["train", "eval"])
def test_export_matches(name, cls, types, kwargs, n, mode):
    t_in, t_out = types()
    layer = cls(t_in, t_out, **kwargs)
    if layer.bias is not None:
        with torch.no_grad():
            layer.bias.normal_()  # a nonzero bias, so that it is really compared
    layer.train(mode == "train")
    plain = layer.export()
    assert type(plain) is PLAIN[cls]
    assert (plain.bias is None) == (layer.bias is None)
    x = _randn(2, t_in.size, *([n] * t_in.gspace.dimensionality))
    y = layer(GeometricTensor(x, t_in)).tensor
    with torch.no_grad():
        y_plain = plain(x)
    assert y_plain.shape == y.shape
    torch.testing.assert_close(y_plain, y.detach(), atol=1e-5, rtol=1e-5)
    # the export is a snapshot: independent parameters, plain tensors
    assert all(type(p) is torch.nn.Parameter and p.grad_fn is None for p in plain.parameters())
    with torch.no_grad():
        layer.weights.mul_(2)
    torch.testing.assert_close(plain(x).detach(), y_plain)


def test_export_linear_matches():
    gs = rot2dOnR2(8)
    t_in = FieldType(gs, [gs.regular_repr, gs.irrep(2)])
    t_out = FieldType(gs, [gs.trivial_repr, gs.regular_repr])
    lin = Linear(t_in, t_out)
    with torch.no_grad():
        lin.bias.normal_()
    plain = lin.export()
    assert type(plain) is torch.nn.Linear
    x = _randn(5, t_in.size)
    torch.testing.assert_close(plain(x), lin(GeometricTensor(x, t_in)).tensor, atol=1e-5, rtol=1e-5)


_LOADER = textwrap.dedent(
    """
    import sys
    import torch
    path = sys.argv[1]
    blob = torch.load(path, weights_only=False)
    assert "steerable" not in sys.modules, sorted(m for m in sys.modules if m.startswith("steerable"))
    model, x, expected = blob["model"], blob["x"], blob["expected"]
    model.eval()
    with torch.no_grad():
        y = model(x)
    torch.testing.assert_close(y, expected, atol=1e-5, rtol=1e-5)
    assert "steerable" not in sys.modules
    print("OK", type(model).__name__, tuple(y.shape))
    """
)


def test_exported_model_loads_without_steerable(tmp_path):
    """``torch.save`` an exported model; a fresh interpreter loads and runs it without importing steerable."""
    t_in, t_out = _planar_types()
    c1 = R2Conv(t_in, t_out, 3, padding=1)
    c2 = R2ConvTransposed(t_out, t_in, 3, padding=1, stride=2)
    model = torch.nn.Sequential(c1.export(), torch.nn.Tanh(), c2.export())
    x = _randn(2, t_in.size, 7, 7)
    with torch.no_grad():
        expected = c2(GeometricTensor(torch.tanh(c1(GeometricTensor(x, t_in)).tensor), t_out)).tensor
    path = tmp_path / "exported.pt"
    torch.save({"model": model, "x": x, "expected": expected}, path)
    script = tmp_path / "load.py"
    script.write_text(_LOADER)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    # cwd = tmp_path and no PYTHONPATH: steerable is not even importable there
    res = subprocess.run([sys.executable, str(script), str(path)], cwd=tmp_path, env=env,
                         capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    assert res.stdout.startswith("OK Sequential (2, 11, 13, 13)"), res.stdout


def test_exported_state_dict_roundtrip(tmp_path):
    t_in, t_out = _planar_types()
    conv = R2Conv(t_in, t_out, 5, padding=2)
    plain = conv.export()
    torch.save(plain.state_dict(), tmp_path / "sd.pt")
    fresh = torch.nn.Conv2d(t_in.size, t_out.size, 5, padding=2)
    fresh.load_state_dict(torch.load(tmp_path / "sd.pt"))
    x = _randn(1, t_in.size, 9, 9)
    torch.testing.assert_close(fresh(x), conv(GeometricTensor(x, t_in)).tensor, atol=1e-5, rtol=1e-5)
