"""An O(2) network on irreducible fields that restricts to D4 halfway, in escnn's documented vocabulary."""

from escnn import gspaces, nn


def build() -> nn.SequentialModule:
    gs = gspaces.flipRot2dOnR2(N=-1, maximum_frequency=4)
    G = gs.fibergroup
    in_type = nn.FieldType(gs, [gs.trivial_repr])
    # 2 invariant channels, 2 sign-flip channels, vector fields of frequency 1 and 2
    hidden = nn.FieldType(gs, 2 * [G.irrep(0, 0)] + 2 * [G.irrep(1, 0)] + 2 * [G.irrep(1, 1)] + 2 * [G.irrep(1, 2)])
    conv1 = nn.R2Conv(in_type, hidden, kernel_size=5, padding=2)
    nonlin = nn.NormNonLinearity(hidden, function="n_relu", bias=True)
    # restrict to the dihedral subgroup D4 with its reflection along the gspace's axis: escnn's id (0., 4)
    restrict = nn.RestrictionModule(hidden, (0.0, 4))
    gs_d4 = restrict.out_type.gspace
    out = nn.FieldType(gs_d4, 3 * [gs_d4.regular_repr])
    conv2 = nn.R2Conv(restrict.out_type, out, kernel_size=3, padding=1)
    return nn.SequentialModule(conv1, nonlin, restrict, conv2, nn.ReLU(out), nn.GroupPooling(out))
