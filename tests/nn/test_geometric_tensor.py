"""GeometricTensor: the group action, field slicing, algebra, split / direct sum, iteration."""
from __future__ import annotations

import threading

import pytest
import torch

from steerable.group import directsum
from steerable.gspaces import flipRot2dOnR2, flipRot3dOnR3, rot2dOnR2
from steerable.nn import FieldType, GeometricTensor, tensor_directsum

D4 = flipRot2dOnR2(4, axis=0.0)
G = D4.fibergroup


def _type():
    return FieldType(D4, [D4.regular_repr, G.irrep(1, 1), D4.trivial_repr, D4.quotient_repr((0, 1)),
                          directsum([G.irrep(1, 0), G.irrep(1, 1)], name="mix")])


def _x(t, batch=2, n=5, d=2, seed=0, dtype=torch.float64):
    g = torch.Generator().manual_seed(seed)
    return GeometricTensor(torch.randn(batch, t.size, *([n] * d), generator=g, dtype=dtype), t)


@pytest.mark.parametrize("n", [5, 6])
def test_transform_is_a_group_action_D4(n):
    x = _x(_type(), n=n)
    els = D4.testing_elements
    assert len(els) == 8
    for g in els:
        for h in els:
            torch.testing.assert_close(x.transform(h).transform(g).tensor, x.transform(g @ h).tensor, atol=1e-12, rtol=0)
    torch.testing.assert_close(x.transform(G.identity).tensor, x.tensor)


def test_transform_is_a_group_action_O3():
    gs = flipRot3dOnR3()
    O3 = gs.fibergroup
    t = FieldType(gs, [O3.irrep(1, 1), O3.irrep(0, 2), O3.irrep(1, 0)])
    x = _x(t, n=3, d=3, batch=1)
    els = gs.testing_elements
    assert len(els) == 48
    for g in els[::5]:
        for h in els[::7]:
            torch.testing.assert_close(x.transform(h).transform(g).tensor, x.transform(g @ h).tensor, atol=1e-12, rtol=0)


def test_transform_interpolated_elements_compose_approximately():
    """Non-grid rotations (interpolated) still compose, up to interpolation error, on smooth input."""
    gs = rot2dOnR2(-1, maximum_frequency=3)
    t = FieldType(gs, [gs.irrep(0), gs.irrep(1)])
    c = torch.arange(21, dtype=torch.float64) - 10
    r2 = c[:, None] ** 2 + c[None, :] ** 2
    blob = torch.exp(-r2 / 30)[None, None] * torch.tensor([1.0, 0.5, -0.3], dtype=torch.float64)[None, :, None, None]
    x = GeometricTensor(blob * (1 + 0.1 * c[None, None, :, None]), t)
    g, h = gs.fibergroup.element(0.4), gs.fibergroup.element(0.7)
    a = x.transform(h).transform(g).tensor
    b = x.transform(g @ h).tensor
    assert float((a - b).norm() / b.norm()) < 0.02


def test_fiber_action_on_flat_tensors():
    t = _type()
    x = GeometricTensor(torch.randn(3, t.size, dtype=torch.float64), t)
    for g in G.elements:
        m = torch.as_tensor(t.fiber_matrix(g))
        torch.testing.assert_close(x.transform(g).tensor, x.tensor @ m.T)


def test_slicing_by_fields():
    t = _type()
    x = _x(t)
    y = x[:, 1:3]
    assert y.type == t.index_select([1, 2])
    torch.testing.assert_close(y.tensor, x.tensor[:, 8:11])
    z = x[:, 3]
    assert len(z.type) == 1 and z.type.representations[0] == t.representations[3]
    torch.testing.assert_close(z.tensor, x.tensor[:, 11:15])
    w = x[1, ::2, 1:4, :2]
    assert w.shape == (1, 8 + 1 + 3, 3, 2)
    assert w.type == t.index_select([0, 2, 4])
    last = x[:, -1]
    assert last.type.representations[0].name == "mix"
    # slices transform with the sliced type: slicing commutes with the action
    for g in D4.testing_elements:
        torch.testing.assert_close(x.transform(g)[:, 1:4].tensor, x[:, 1:4].transform(g).tensor)


def test_addition_subtraction_and_scalars():
    t = _type()
    x, y = _x(t, seed=1), _x(t, seed=2)
    torch.testing.assert_close((x + y).tensor, x.tensor + y.tensor)
    torch.testing.assert_close((x - y).tensor, x.tensor - y.tensor)
    torch.testing.assert_close((x * 2.5).tensor, 2.5 * x.tensor)
    torch.testing.assert_close((3 * x).tensor, 3 * x.tensor)
    torch.testing.assert_close((x * torch.tensor(0.5, dtype=torch.float64)).tensor, 0.5 * x.tensor)
    torch.testing.assert_close((x / 4).tensor, x.tensor / 4)
    assert (x + y).type is t and (2 * x).type is t
    g = G.element((1, 1))
    torch.testing.assert_close((x + 2 * y).transform(g).tensor, (x.transform(g) + 2 * y.transform(g)).tensor)
    with pytest.raises(ValueError, match="different field types"):
        x + _x(t.index_select(list(range(len(t)))[::-1]))
    with pytest.raises(TypeError):
        x + x.tensor
    with pytest.raises(ValueError, match="scalar"):
        x * torch.ones(t.size)
    with pytest.raises(TypeError):
        x * x


def test_split_and_directsum_roundtrip():
    t = _type()
    x = _x(t)
    parts = x.split([None, 1, 3, None])
    assert [len(p.type) for p in parts] == [1, 2, 2]
    assert sum(p.shape[1] for p in parts) == t.size
    back = tensor_directsum(parts)
    assert back.type == t
    torch.testing.assert_close(back.tensor, x.tensor)
    assert len(x.split([None, None])) == 1
    with pytest.raises(ValueError):
        x.split([None, 3, 3, None])
    with pytest.raises(ValueError):
        x.split([None, 9])
    with pytest.raises(ValueError):
        tensor_directsum([])
    with pytest.raises(ValueError):  # different gspaces
        c4 = rot2dOnR2(4)
        tensor_directsum([x, GeometricTensor(torch.randn(2, 4, 5, 5, dtype=torch.float64), FieldType(c4, [c4.regular_repr]))])


def test_directsum_transforms_blockwise():
    t = _type()
    a, b = _x(t.index_select([0, 1]), seed=3), _x(t.index_select([2, 3, 4]), seed=4)
    s = tensor_directsum([a, b])
    for g in D4.testing_elements:
        torch.testing.assert_close(s.transform(g).tensor, tensor_directsum([a.transform(g), b.transform(g)]).tensor)


def test_iteration_terminates_over_the_batch():
    t = _type()
    x = _x(t, batch=3)
    result: list = []
    worker = threading.Thread(target=lambda: result.extend(list(x)), daemon=True)
    worker.start()
    worker.join(timeout=10)
    assert not worker.is_alive(), "iterating over a GeometricTensor did not terminate"
    assert len(result) == len(x) == 3
    for i, item in enumerate(result):
        assert isinstance(item, GeometricTensor) and item.type == t
        torch.testing.assert_close(item.tensor, x.tensor[i : i + 1])


def test_tensor_like_helpers():
    t = _type()
    x = _x(t, dtype=torch.float32)
    assert x.shape == x.tensor.shape and x.size() == x.tensor.size() and x.size(1) == t.size
    assert x.dtype == torch.float32 and x.device == torch.device("cpu")
    y = x.to(torch.float64)
    assert y.dtype == torch.float64 and y.type is t
    xr = GeometricTensor(x.tensor.clone().requires_grad_(), t)
    assert not xr.detach().tensor.requires_grad
    assert "GeometricTensor" in repr(x)


def test_restrict_preserves_tensor_and_agrees_with_parent():
    t = _type()
    x = _x(t)
    sub_id = (None, 4)  # the rotations C4
    y = x.restrict(sub_id)
    assert y.tensor is x.tensor and y.type == t.restrict(sub_id)
    _, incl, _ = D4.restrict(sub_id)
    for h in y.type.testing_elements:
        torch.testing.assert_close(y.transform(h).tensor, x.transform(incl(h)).tensor)


def test_constructor_type_checks():
    t = _type()
    with pytest.raises(TypeError):
        GeometricTensor(t.size, t)
    with pytest.raises(TypeError):
        GeometricTensor(torch.randn(1, t.size), D4.regular_repr)


def test_transform_fibers_moves_only_the_fibres() -> None:
    """escnn's ``transform_fibers``: rho(g) at every pixel, the image not rotated (unlike ``transform``)."""
    from steerable import gspaces as _gs
    from steerable import nn as _nn

    gs = _gs.rot2dOnR2(4)
    t = _nn.FieldType(gs, [gs.regular_repr, gs.irrep(1)])
    x = _nn.GeometricTensor(torch.randn(2, t.size, 5, 5), t)
    g = gs.fibergroup.element(1)
    y = x.transform_fibers(g)
    rho = torch.as_tensor(t.fiber_matrix(g), dtype=x.tensor.dtype)
    assert torch.allclose(y.tensor, torch.einsum("oc,bchw->bohw", rho, x.tensor))
    # transform = transform_fibers then the rotation of the plane
    assert torch.allclose(x.transform(g).tensor, torch.rot90(y.tensor, 1, (2, 3)), atol=1e-6)
    assert not torch.allclose(y.tensor, x.transform(g).tensor)
    with pytest.raises(TypeError, match="GroupElement"):
        t.transform_fibers(x.tensor, 1)
