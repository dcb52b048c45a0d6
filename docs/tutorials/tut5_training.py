"""
Training a tiny model
=====================

Equivariant models train with an ordinary PyTorch loop. A small :math:`C_4` steerable CNN from
:mod:`steerable.models` learns the procedurally drawn figures of
:class:`~steerable.datasets.SyntheticRotated` (offline, seeded) for a few steps; its predictions
are unchanged by 90° rotations of the input whatever the weights, before and after training.
(``steerable.train.train`` runs the same thing with checkpoints, metrics and resumption.)
"""
import torch

from steerable.datasets import get_dataset
from steerable.models import build_model

torch.manual_seed(0)
data = get_dataset("synthetic", "train", n_train=128)
images, labels = data.images, data.labels
model = build_model("c4", width=0.25)
opt = torch.optim.Adam(model.parameters(), lr=3e-3)
print(model.__class__.__name__, sum(p.numel() for p in model.parameters()), "parameters")


def loss_on(batch: slice) -> torch.Tensor:
    return torch.nn.functional.cross_entropy(model(images[batch]), labels[batch])


model.eval()
with torch.no_grad():
    start = loss_on(slice(0, 128)).item()
model.train()
for step in range(15):
    i = (step * 16) % 128
    opt.zero_grad()
    loss = loss_on(slice(i, i + 16))
    loss.backward()
    opt.step()
model.eval()
with torch.no_grad():
    end = loss_on(slice(0, 128)).item()
print(f"training loss {start:.3f} -> {end:.3f}")
assert end < 0.8 * start

# %%
# Rotating the inputs by 90 degrees leaves the logits unchanged (to float32 round-off).
with torch.no_grad():
    logits = model(images[:64])
    logits_rot = model(torch.rot90(images[:64], 1, (-2, -1)))
print("max logit change under rotation:", (logits - logits_rot).abs().max().item())
assert torch.allclose(logits, logits_rot, atol=1e-4)
