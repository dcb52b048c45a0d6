"""Sheaf layers and baselines: shapes, block-sparse batching, permutation equivariance; the persistent sheaf's
gradients against finite differences."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from steerable.sheaf import SimplicialComplex, local_homology_sheaf, sheaf_laplacian
from steerable.sheaf.nn import GraphNet, SheafBatch, SheafNet, batch_sheaves
from steerable.sheaf.persistent import local_barcodes, persistent_sheaf_batch


def _cloud(n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = rng.random(n) * 3
    return np.stack([t, np.where(t < 1.5, 0.0, t - 1.5)], 1) + 0.02 * rng.standard_normal((n, 2))


def _sheaf_batch(pts: np.ndarray) -> SheafBatch:
    K = SimplicialComplex.from_points(pts, k=5, max_dim=2)
    return SheafBatch.from_sheaf(local_homology_sheaf(K, 1, radius=0.15, points=pts))


def test_laplacian_apply_matches_sparse_matrix():
    pts = _cloud(40, 0)
    K = SimplicialComplex.from_points(pts, k=5, max_dim=2)
    S = local_homology_sheaf(K, 1, radius=0.15, points=pts)
    b = SheafBatch.from_sheaf(S)
    x = torch.randn(b.num_stalk_rows, 3, dtype=torch.float64)
    L = torch.as_tensor(sheaf_laplacian(S).toarray())
    assert b.num_stalk_rows > 10
    torch.testing.assert_close(b.delta.laplacian(x), L @ x)


def _permute(b: SheafBatch, perm: np.ndarray) -> SheafBatch:
    """The same sheaf with vertices renamed ``v -> perm[v]`` (stalk bases carried along)."""
    from steerable.sheaf.nn import Coboundary
    n = b.num_nodes
    dims = b.stalk_dims.numpy()
    off = np.concatenate([[0], np.cumsum(dims)])
    inv = np.argsort(perm)
    new_dims = dims[inv]
    new_off = np.concatenate([[0], np.cumsum(new_dims)])
    row_map = np.empty(int(off[-1]), dtype=np.int64)  # old stalk row -> new stalk row
    for v in range(n):
        row_map[off[v]:off[v + 1]] = new_off[perm[v]] + np.arange(dims[v])
    e_perm = np.random.default_rng(1).permutation(len(b.edges))  # shuffle the edge order too
    e_inv = np.argsort(e_perm)
    d = b.delta
    de = np.bincount(d.edge_of_row.numpy(), minlength=len(b.edges))
    eoff = np.concatenate([[0], np.cumsum(de)])
    new_de = de[e_inv]
    new_eoff = np.concatenate([[0], np.cumsum(new_de)])
    erow_map = np.empty(d.num_rows, dtype=np.int64)
    for e in range(len(b.edges)):
        erow_map[eoff[e]:eoff[e + 1]] = new_eoff[e_perm[e]] + np.arange(de[e])
    delta = Coboundary(torch.as_tensor(erow_map)[d.rows], torch.as_tensor(row_map)[d.cols], d.vals, d.num_rows,
                       d.num_cols, torch.as_tensor(np.repeat(np.arange(len(new_de)), new_de)))
    edges = torch.as_tensor(perm)[b.edges][torch.as_tensor(e_inv)]
    return SheafBatch(delta, torch.as_tensor(np.repeat(np.arange(n), new_dims)), torch.as_tensor(new_dims),
                      torch.cat([edges.T, edges.flip(1).T], 1), edges, b.graph)


@pytest.mark.parametrize("model", ["diffusion", "attention", "gcn", "gat"])
def test_permutation_equivariance(model):
    torch.manual_seed(0)
    b = _sheaf_batch(_cloud(50, 1))
    perm = np.random.default_rng(2).permutation(b.num_nodes)
    bp = _permute(b, perm)
    net = {"diffusion": SheafNet(3, 6, 3), "attention": SheafNet(3, 6, 3, attention=True),
           "gcn": GraphNet(3, 6, 3), "gat": GraphNet(3, 6, 3, attention=True)}[model].double()
    h = torch.randn(b.num_nodes, 3, dtype=torch.float64)
    hp = torch.empty_like(h)
    hp[torch.as_tensor(perm)] = h
    out, outp = net(h, b), net(hp, bp)
    torch.testing.assert_close(outp[torch.as_tensor(perm)], out, atol=1e-12, rtol=1e-12)
    assert not torch.allclose(out[0], out[1])  # the layers do use the structure


def test_stalk_dims_are_permutation_equivariant():
    pts = _cloud(50, 3)
    perm = np.random.default_rng(0).permutation(50)
    pp = np.empty_like(pts)
    pp[perm] = pts
    d = local_homology_sheaf(SimplicialComplex.from_points(pts, k=5), 1, radius=0.15, points=pts).dims_of(0)
    dp = local_homology_sheaf(SimplicialComplex.from_points(pp, k=5), 1, radius=0.15, points=pp).dims_of(0)
    assert np.array_equal(dp[perm], d) and len(set(d.tolist())) > 1


def test_block_sparse_batching_is_block_diagonal():
    torch.manual_seed(0)
    bs = [_sheaf_batch(_cloud(n, s)) for n, s in ((30, 0), (45, 1))]
    big = batch_sheaves(bs)
    net = SheafNet(2, 5, 3, attention=True).double()
    hs = [torch.randn(b.num_nodes, 2, dtype=torch.float64) for b in bs]
    torch.testing.assert_close(net(torch.cat(hs), big), torch.cat([net(h, b) for h, b in zip(hs, bs)]))
    assert big.graph.tolist() == [0] * 30 + [1] * 45


def test_bad_feature_shape():
    b = _sheaf_batch(_cloud(30, 0))
    with pytest.raises(ValueError, match="node features of shape"):
        GraphNet(3, 4, 2)(torch.randn(b.num_nodes, 2), b)


def _stable_cloud(seed: int) -> torch.Tensor:
    return torch.as_tensor(np.random.default_rng(seed).random((25, 2)), dtype=torch.float64)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_persistent_gradients_match_finite_differences(seed):
    z0 = _stable_cloud(seed)
    K = SimplicialComplex.from_points(z0, k=5, max_dim=2)

    def loss(z: torch.Tensor) -> torch.Tensor:
        return (local_barcodes(K, z).persistence ** 2).sum()

    def pairing(z: torch.Tensor) -> tuple:
        b = local_barcodes(K, z)
        return tuple(b.birth_edge.tolist()), tuple(b.death_edge.tolist()), tuple(b.parent.tolist())

    z = z0.clone().requires_grad_(True)
    loss(z).backward()
    eps = 1e-6
    fd = torch.zeros_like(z0)
    base = pairing(z0)
    for i in range(z0.shape[0]):
        for j in range(z0.shape[1]):
            zp, zm = z0.clone(), z0.clone()
            zp[i, j] += eps
            zm[i, j] -= eps
            assert pairing(zp) == base == pairing(zm)  # the barcode is locally stable here
            fd[i, j] = (loss(zp) - loss(zm)) / (2 * eps)
    rel = (z.grad - fd).norm() / fd.norm()
    assert rel < 1e-4 and fd.norm() > 0


def test_persistent_sheaf_maps_are_differentiable_and_psd():
    z0 = _stable_cloud(5)
    K = SimplicialComplex.from_points(z0, k=5, max_dim=2)
    z = z0.clone().requires_grad_(True)
    b, bars = persistent_sheaf_batch(K, z)
    x = torch.randn(b.num_stalk_rows, 2, dtype=torch.float64)
    q = (x * b.delta.laplacian(x)).sum()
    assert q.item() >= -1e-12
    q.backward()
    assert z.grad.abs().sum() > 0
    # a graph (no triangles): every stalk has deg(v) - 1 bars, as the closed form's {Σ a = 0}
    G = SimplicialComplex.from_points(z0, k=3, max_dim=1)
    bg, _ = persistent_sheaf_batch(G, z0)
    deg = np.asarray(G.adjacency().sum(1)).ravel()
    assert bg.stalk_dims.tolist() == [max(int(d) - 1, 0) for d in deg]
