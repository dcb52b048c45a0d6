"""
3D convolutions
===============

The same vocabulary in space: a gspace acting on :math:`\\mathbb{R}^3`, field types of its
group, and :class:`~steerable.nn.R3Conv`. Here the octahedral group (the 24 rotations of a
cube, which act on voxel grids exactly) with regular fields, and :math:`SO(3)` with the
frequency-1 irrep, i.e. vector fields.
"""
import torch

from steerable import gspaces, nn

torch.manual_seed(0)
gs = gspaces.octaOnR3()
t_in = nn.FieldType(gs, [gs.trivial_repr])
t_out = nn.FieldType(gs, [gs.regular_repr])
conv = nn.R3Conv(t_in, t_out, kernel_size=3, padding=1)
print(conv)
x = nn.GeometricTensor(torch.randn(1, 1, 7, 7, 7), t_in)
with torch.no_grad():
    y = conv(x)
assert y.tensor.shape == (1, 24, 7, 7, 7)

# %%
# Every one of the 24 rotations permutes voxels, so equivariance holds to float32 round-off.
errors = conv.check_equivariance()
print(f"{len(errors)} elements, max error {max(e for _, e in errors):.1e}")
assert len(errors) == 24 and max(e for _, e in errors) < 1e-4

# %%
# Scalars to vector fields under all rotations: the 90-degree rotations are the grid-exact
# test elements of SO(3).
gs3 = gspaces.rot3dOnR3()
t_vec = nn.FieldType(gs3, [gs3.irrep(1)])
conv3 = nn.R3Conv(nn.FieldType(gs3, [gs3.trivial_repr]), t_vec, kernel_size=5, padding=2)
errors = conv3.check_equivariance()
assert max(e for _, e in errors) < 1e-4
print(f"SO(3) scalar -> vector: {len(errors)} elements checked, max error {max(e for _, e in errors):.1e}")
