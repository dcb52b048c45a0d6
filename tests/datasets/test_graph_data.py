"""Point-cloud letters (seeded, labelled) and the TU / Planetoid-npz readers."""
from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from steerable.datasets import PointCloudLetters, read_planetoid_npz, read_tu, sample_letter


def test_letters_seeded_and_labelled():
    a, b = PointCloudLetters(5, seed=3), PointCloudLetters(5, seed=3)
    assert all(np.array_equal(x[0], y[0]) for x, y in zip(a, b))
    assert not np.array_equal(a[0][0], PointCloudLetters(5, seed=4)[0][0])
    labels = {c: set(lab.tolist()) for _, lab, c in a}
    assert labels["I"] == {0, 1} and labels["L"] == {0, 1}        # a corner is regular
    assert labels["T"] == {0, 1, 2} and labels["X"] == {0, 1, 2}
    pts, lab = sample_letter("X", 400, 0.0, np.random.default_rng(0))
    c = pts.mean(0)  # noise-free X: the junction is its centre
    assert np.all(np.linalg.norm(pts[lab == 2] - c, axis=1) < 0.1 * 1.2 + 1e-9)
    with pytest.raises(ValueError, match="unknown letter"):
        sample_letter("Q", 10, 0.0, np.random.default_rng(0))


def test_read_tu(tmp_path):
    d = tmp_path / "TOY"
    d.mkdir()
    (d / "TOY_A.txt").write_text("1, 2\n2, 1\n2, 3\n3, 2\n4, 5\n5, 4\n")
    (d / "TOY_graph_indicator.txt").write_text("1\n1\n1\n2\n2\n")
    (d / "TOY_graph_labels.txt").write_text("1\n-1\n")
    (d / "TOY_node_labels.txt").write_text("0\n1\n0\n2\n2\n")
    g = read_tu(tmp_path, "TOY")
    assert [x.num_nodes for x in g] == [3, 2] and [x.y for x in g] == [1, -1]
    assert g[1].edge_index.tolist() == [[0, 1], [1, 0]] and g[1].node_labels.tolist() == [2, 2]
    with pytest.raises(FileNotFoundError, match="NOPE_A.txt.*nothing is downloaded"):
        read_tu(tmp_path, "NOPE")


def test_read_planetoid_npz(tmp_path):
    A = sp.csr_matrix(np.array([[0, 1, 0], [1, 0, 1], [0, 1, 1]], dtype=float))
    X = sp.csr_matrix(np.eye(3))
    np.savez(tmp_path / "g.npz", adj_data=A.data, adj_indices=A.indices, adj_indptr=A.indptr, adj_shape=A.shape,
             attr_data=X.data, attr_indices=X.indices, attr_indptr=X.indptr, attr_shape=X.shape,
             labels=np.array([0, 1, 0]))
    g = read_planetoid_npz(tmp_path / "g.npz")
    assert g.num_nodes == 3 and g.edge_index.shape == (2, 4)   # the self-loop at 2 is dropped
    assert np.array_equal(g.x, np.eye(3)) and g.node_labels.tolist() == [0, 1, 0]
    with pytest.raises(FileNotFoundError, match="nothing is downloaded"):
        read_planetoid_npz(tmp_path / "missing.npz")
    np.savez(tmp_path / "bad.npz", labels=np.zeros(3))
    with pytest.raises(ValueError, match="lacks"):
        read_planetoid_npz(tmp_path / "bad.npz")
