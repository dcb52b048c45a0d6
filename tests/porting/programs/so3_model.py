"""A small SO(3)-equivariant volumetric network in escnn's documented vocabulary."""

from escnn import gspaces, nn


def build() -> nn.SequentialModule:
    gs = gspaces.rot3dOnR3()
    G = gs.fibergroup
    in_type = nn.FieldType(gs, [gs.trivial_repr])
    # a band-limited Fourier field carrying irreps 0..2; FourierELU acts on 4 x 24 rotations closed under the
    # cube group, so it is exact for quarter turns
    activation = nn.FourierELU(gs, 2, irreps=G.bl_irreps(2), type="thomson_cube", N=4, inplace=True)
    conv1 = nn.R3Conv(in_type, activation.in_type, kernel_size=5, padding=2)
    vec = nn.FieldType(gs, 2 * [G.standard_representation()] + 2 * [gs.trivial_repr])
    conv2 = nn.R3Conv(activation.out_type, vec, kernel_size=3, padding=1)
    norm = nn.NormNonLinearity(vec)
    inv = nn.FieldType(gs, 4 * [gs.trivial_repr])
    conv3 = nn.R3Conv(vec, inv, kernel_size=3, padding=1)
    return nn.SequentialModule(conv1, nn.IIDBatchNorm3d(activation.in_type), activation, conv2, norm, conv3)
