"""
A first equivariant CNN
=======================

A small :math:`C_8`-equivariant network for grey-scale images: two steerable convolutions on
regular fields, a pointwise ReLU, and group pooling to rotation-invariant features. Rotating
the input by 90° rotates every feature map and leaves the pooled output unchanged.
"""
import torch

from steerable import gspaces, nn

torch.manual_seed(0)
gs = gspaces.rot2dOnR2(8)  # C8 acting on the plane
t_in = nn.FieldType(gs, [gs.trivial_repr])  # one grey-scale channel
t_hid = nn.FieldType(gs, 4 * [gs.regular_repr])  # 4 fields of 8 channels each

model = nn.SequentialModule(
    nn.R2Conv(t_in, t_hid, kernel_size=5, padding=2),
    nn.ReLU(t_hid),
    nn.R2Conv(t_hid, t_hid, kernel_size=5, padding=2),
    nn.ReLU(t_hid),
    nn.GroupPooling(t_hid),  # max over each field's 8 channels: invariant
).eval()
print(model)

# %%
# The output does not change when the input is rotated by 90 degrees (group element 2 of C8),
# up to float32 round-off: 90-degree rotations act on the grid exactly.
x = nn.GeometricTensor(torch.randn(2, 1, 29, 29), t_in)
g = gs.fibergroup.element(2)
with torch.no_grad():
    y = model(x)
    y_rot = model(x.transform(g))
err = (y_rot.tensor - y.transform(g).tensor).abs().max().item()
print(f"max |model(g x) - g model(x)| = {err:.2e}")
assert err < 1e-5

# %%
# After group pooling the fields are trivial, so ``g`` acts on the output only by rotating
# the plane; a global average then gives rotation-invariant features.
inv = y.tensor.mean(dim=(2, 3))
inv_rot = y_rot.tensor.mean(dim=(2, 3))
assert torch.allclose(inv, inv_rot, atol=1e-5)
print("invariant features:", inv[0])
