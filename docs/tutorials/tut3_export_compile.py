"""
Export and torch.compile
========================

An equivariant model is an ordinary ``torch.nn.Module``: ``export()`` turns it into plain
PyTorch layers (``Conv2d`` with the expanded filters) computing the same function, which
``torch.jit``/ONNX/mobile toolchains understand, and both the equivariant and the exported
model go through ``torch.compile``.
"""
import torch

from steerable import gspaces, nn

torch.manual_seed(0)
gs = gspaces.rot2dOnR2(4)
t_in = nn.FieldType(gs, [gs.trivial_repr])
t_hid = nn.FieldType(gs, 4 * [gs.regular_repr])
model = nn.SequentialModule(
    nn.R2Conv(t_in, t_hid, kernel_size=5, padding=2),
    nn.ReLU(t_hid),
    nn.R2Conv(t_hid, t_hid, kernel_size=3, padding=1),
    nn.GroupPooling(t_hid),
).eval()

# %%
# The state_dict holds the basis coefficients only: the same keys in train and eval mode
# (the eval-mode filter cache lives outside it).
keys_eval = set(model.state_dict())
keys_train = set(model.train().state_dict())
model.eval()
assert keys_eval == keys_train
print(sorted(keys_eval))

# %%
# ``export()`` gives plain torch modules with the same outputs.
plain = model.export()
print(plain)
x = torch.randn(2, 1, 17, 17)
with torch.no_grad():
    ref = model(nn.GeometricTensor(x, t_in)).tensor
    out = plain(x)
assert not any(isinstance(m, nn.EquivariantModule) for m in plain.modules())
assert torch.allclose(ref, out, atol=1e-5)

# %%
# ``torch.compile`` of the exported model (the first call compiles; later calls reuse it).
compiled = torch.compile(plain)
with torch.no_grad():
    out_c = compiled(x)
assert torch.allclose(ref, out_c, atol=1e-5)
print("compiled output matches, max diff", (ref - out_c).abs().max().item())
