"""Figures of the Concepts page, drawn with the project's own code at build time.

Each function draws into a new matplotlib figure and checks the property it illustrates, so a
figure that no longer shows what the text says stops the build.
"""
from __future__ import annotations

import matplotlib.pyplot as plt
import torch

from steerable import gspaces, nn
from steerable.kernels import GridKernelBasis

# each group with the id of its frequency-1 irrep (D4's (1, 1): reflections act on it by a flip)
GSPACES = {"C8": (lambda: gspaces.rot2dOnR2(8), (1,)), "D4": (lambda: gspaces.flipRot2dOnR2(4), (1, 1)),
           "SO(2)": (lambda: gspaces.rot2dOnR2(-1), (1,))}


def kernel_gallery(name: str, kernel_size: int = 9, columns: int = 8) -> plt.Figure:
    """The steerable basis from a trivial field to the frequency-1 irrep of the group ``name``
    (``C8``, ``D4`` or ``SO(2)``): one panel per basis element and output channel."""
    make, irrep_id = GSPACES[name]
    gs = make()
    basis = GridKernelBasis(gs, gs.trivial_repr, gs.fibergroup.irrep(*irrep_id), kernel_size)
    k = basis.sample_grid(torch.float64)  # (dim, d_out, 1, s, s)
    panels = [(b, o) for b in range(basis.dim) for o in range(k.shape[1])][:columns * 2]
    rows = -(-len(panels) // columns)
    fig, axes = plt.subplots(rows, columns, figsize=(1.2 * columns, 1.25 * rows), squeeze=False)
    vmax = float(k.abs().max())
    for ax in axes.flat:
        ax.axis("off")
    for ax, (b, o) in zip(axes.flat, panels):
        ax.imshow(k[b, o, 0].numpy(), cmap="RdBu_r", vmin=-vmax, vmax=vmax)
        ax.set_title(f"r={basis.attributes[b]['radius']:.0f} f={basis.attributes[b]['frequency']}\nout {o}", fontsize=6)
    return fig


def rotating_feature_map(seed: int = 0) -> plt.Figure:
    """An input, its rotation by 90 degrees, and one C8-regular feature map of each: the map of the
    rotated input is the rotated map with its 8 channels cyclically shifted by 2."""
    torch.manual_seed(seed)
    gs = gspaces.rot2dOnR2(8)
    t_in = nn.FieldType(gs, [gs.trivial_repr])
    t_out = nn.FieldType(gs, [gs.regular_repr])
    conv = nn.R2Conv(t_in, t_out, kernel_size=7, padding=3).eval()
    yy, xx = torch.meshgrid(torch.linspace(-1, 1, 33), torch.linspace(-1, 1, 33), indexing="ij")
    img = ((xx - 0.35) ** 2 + (yy + 0.1) ** 2 < 0.08).double() + 0.6 * ((xx + 0.3).abs() + (yy - 0.4).abs() < 0.25).double()
    x = nn.GeometricTensor(img.float()[None, None], t_in)
    g = gs.fibergroup.element(2)
    with torch.no_grad():
        y, y_rot = conv(x), conv(x.transform(g))
    # equivariance: conv(g x) = g conv(x), channels permuted and the plane rotated
    if not torch.allclose(y_rot.tensor, y.transform(g).tensor, atol=1e-5):
        raise AssertionError("the C8 convolution is not equivariant on this input")
    # the same statement on pixels: channel 2 of the rotated input's map is channel 0 rotated
    shown = [(x.tensor[0, 0], "input", y.tensor[0, 0], "output channel 0"),
             (x.transform(g).tensor[0, 0], "input rotated by 90°", y_rot.tensor[0, 2], "output channel 2")]
    if not torch.allclose(shown[1][2], torch.rot90(shown[0][2], 1, (0, 1)), atol=1e-5):
        raise AssertionError("channel 2 of the rotated input's map is not channel 0 rotated by 90 degrees")
    fig, axes = plt.subplots(2, 2, figsize=(4.6, 4.6))
    for row, (inp, inp_label, out, out_label) in enumerate(shown):
        axes[row, 0].imshow(inp, cmap="gray")
        axes[row, 0].set_title(inp_label, fontsize=8)
        axes[row, 1].imshow(out, cmap="magma")
        axes[row, 1].set_title(out_label, fontsize=8)
    for ax in axes.flat:
        ax.axis("off")
    return fig
