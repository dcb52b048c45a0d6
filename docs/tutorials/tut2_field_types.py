"""
Field types and check_equivariance
==================================

A :class:`~steerable.nn.FieldType` lists the representations a feature map's channels carry.
Mixing kinds of fields is the usual way to build rich layers: here trivial (scalar), frequency-1
(vector-like) and regular fields of :math:`D_4`, a convolution between two such types, and
the library's own equivariance check.
"""
import torch

from steerable import gspaces, nn

torch.manual_seed(0)
gs = gspaces.flipRot2dOnR2(4)  # D4: rotations by 90 degrees and reflections
G = gs.fibergroup
vector = G.irrep(1, 1)  # frequency 1: rotations act on its 2 channels like on a vector
t_in = nn.FieldType(gs, [gs.trivial_repr, vector])
t_out = nn.FieldType(gs, 2 * [gs.trivial_repr] + [vector] + [gs.regular_repr])
print(t_in, "->", t_out)
print("channels:", t_in.size, "->", t_out.size)
assert t_out.size == 2 + 2 + 8

# %%
# The group acts on a field of a type block by block: ``rho(g)`` mixes each field's channels
# and the element moves the points of the plane. For the rotation by 90 degrees, the scalar
# channel is ``torch.rot90`` of the input and the vector channels are also multiplied by the
# 2x2 rotation matrix ``rho(g)``.
x = nn.GeometricTensor(torch.randn(1, t_in.size, 9, 9), t_in)
g = G.element((0, 1))
rho = torch.as_tensor(vector(g), dtype=torch.float32)
moved = x.transform(g).tensor[0]
assert torch.equal(moved[0], torch.rot90(x.tensor[0, 0], 1, (-2, -1)))
expected = torch.einsum("ij,jhw->ihw", rho, torch.rot90(x.tensor[0, 1:3], 1, (-2, -1)))
assert torch.allclose(moved[1:3], expected, atol=1e-6)
print("rho(rotation by 90 degrees) =", rho)

# %%
# ``check_equivariance`` feeds random inputs transformed by the gspace's grid-exact elements
# and compares ``layer(g x)`` with ``g layer(x)``; it raises unless every error is within
# tolerance and returns the errors.
conv = nn.R2Conv(t_in, t_out, kernel_size=5, padding=2)
errors = conv.check_equivariance()
for g, e in errors:
    print(f"{g}: {e:.1e}")
assert len(errors) == len(gs.testing_elements) and max(e for _, e in errors) < 1e-4

# %%
# A wrong input type is an error that names both types, not a silent broadcast.
try:
    conv(nn.GeometricTensor(torch.randn(1, t_out.size, 9, 9), t_out))
except (TypeError, ValueError) as err:
    print(type(err).__name__, ":", err)
else:
    raise AssertionError("a tensor of the wrong field type was accepted")
