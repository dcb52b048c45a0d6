"""
Point clouds: point convolutions and implicit kernels
=====================================================

A point cloud has no grid, so a steerable point convolution evaluates its kernel at the edge
vectors ``x_target - x_source`` of a neighbour graph and sums the messages. ``knn_graph`` builds
the graph (PyTorch Geometric's ``(source, target)`` convention); ``R3PointConv`` uses the analytic
kernel basis and ``ImplicitPointConv`` an equivariant MLP of the relative position. Because the
group acts on coordinates exactly, both are equivariant to float32 round-off under *any* rotation,
and invariant to translations.
"""
import torch

from steerable import gspaces, nn

torch.manual_seed(0)
gs = gspaces.rot3dOnR3()
t_in = nn.FieldType(gs, [gs.irrep(0), gs.irrep(1)])                 # a scalar and a vector per point
t_out = nn.FieldType(gs, [gs.irrep(0), gs.irrep(1), gs.irrep(2)])
coords = torch.randn(300, 3)
edges = nn.knn_graph(coords, k=8)
print("edges", tuple(edges.shape))
x = nn.GeometricTensor(torch.randn(300, t_in.size), t_in, coords=coords)

# %%
# Rotate the cloud and its features by a random rotation ``g`` (the graph is unchanged: distances
# are), and shift it: the output rotates with ``rho_out(g)``.
g = gs.fibergroup.sample()
A = torch.as_tensor(gs.fibergroup.standard_representation()(g), dtype=torch.float32)
rho_in = torch.as_tensor(t_in.representation(g), dtype=torch.float32)
rho_out = torch.as_tensor(t_out.representation(g), dtype=torch.float32)
moved = nn.GeometricTensor(x.tensor @ rho_in.T, t_in, coords=coords @ A.T + torch.tensor([1.0, -2.0, 0.5]))
for conv in (nn.R3PointConv(t_in, t_out, width=2.0), nn.ImplicitPointConv(t_in, t_out, hidden_fields=4)):
    conv.eval()
    with torch.no_grad():
        y, y_moved = conv(x, edges), conv(moved, edges)
    rel = float((y_moved.tensor - y.tensor @ rho_out.T).abs().max() / y.tensor.abs().max())
    print(f"{type(conv).__name__:18s} {sum(p.numel() for p in conv.parameters()):6d} parameters, "
          f"relative equivariance error {rel:.1e}")
    assert rel < 1e-4
