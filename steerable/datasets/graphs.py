"""Readers for standard graph-learning files a user already has: TU graph classification and Planetoid-style npz.

* :func:`read_tu`: the TU Dortmund text format, ``DS_A.txt`` (``i, j`` 1-based node pairs), ``DS_graph_indicator.txt``
  (graph id per node, 1-based), ``DS_graph_labels.txt``, optional ``DS_node_labels.txt`` and
  ``DS_node_attributes.txt``, in ``root/DS/`` or ``root/``.
* :func:`read_planetoid_npz`: a node-classification graph in the sparse ``.npz`` layout of the citation benchmarks
  (``adj_data, adj_indices, adj_indptr, adj_shape``; ``attr_*`` the same for features, or a dense ``attr`` / ``x``;
  ``labels``).

Nothing is downloaded: a missing file raises FileNotFoundError naming the files expected and where.

Example:
    >>> import tempfile, pathlib, numpy as np
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "G_A.txt").write_text("1, 2\\n2, 1\\n")
    >>> _ = (d / "G_graph_indicator.txt").write_text("1\\n1\\n")
    >>> _ = (d / "G_graph_labels.txt").write_text("0\\n")
    >>> [g.edge_index.tolist() for g in read_tu(d, "G")]
    [[[0, 1], [1, 0]]]
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

__all__ = ["Graph", "read_tu", "read_planetoid_npz"]


@dataclass
class Graph:
    """One graph: ``edge_index`` ``(2, E)`` (0-based, as stored), node features ``x`` ``(n, F)`` or ``None``,
    node labels ``(n,)`` or ``None``, graph label ``y`` (``None`` for node-level data)."""

    num_nodes: int
    edge_index: np.ndarray
    x: np.ndarray | None
    node_labels: np.ndarray | None
    y: int | None


def _load(path: Path, dtype: type, ndmin: int = 1) -> np.ndarray:
    return np.loadtxt(path, delimiter=",", dtype=dtype, ndmin=ndmin)


def read_tu(root: str | Path, name: str) -> list[Graph]:
    """All graphs of the TU data set ``name`` from ``root/name/`` (or ``root/``)."""
    root = Path(root)
    base = root / name if (root / name / f"{name}_A.txt").is_file() else root
    need = [f"{name}_A.txt", f"{name}_graph_indicator.txt", f"{name}_graph_labels.txt"]
    missing = [f for f in need if not (base / f).is_file()]
    if missing:
        raise FileNotFoundError(f"TU data set {name!r}: missing {', '.join(missing)} in {base} (also looked in "
                                f"{root / name}); place the unpacked TU files there (nothing is downloaded)")
    A = _load(base / need[0], np.int64, 2) - 1
    gid = _load(base / need[1], np.int64) - 1
    gl = _load(base / need[2], np.int64)
    nl = _load(base / f"{name}_node_labels.txt", np.int64) if (base / f"{name}_node_labels.txt").is_file() else None
    xa = (_load(base / f"{name}_node_attributes.txt", np.float64, 2)
          if (base / f"{name}_node_attributes.txt").is_file() else None)
    if A.size and (A.min() < 0 or A.max() >= len(gid)):
        raise ValueError(f"{need[0]} refers to nodes outside 1..{len(gid)}")
    if gid.size and gid.max() >= len(gl):
        raise ValueError(f"{need[1]} names graph {gid.max() + 1} but {need[2]} has {len(gl)} labels")
    if np.any(np.diff(gid) < 0):
        raise ValueError(f"{need[1]} must list nodes graph by graph (non-decreasing ids)")
    starts = np.searchsorted(gid, np.arange(len(gl)))
    ends = np.searchsorted(gid, np.arange(len(gl)), side="right")
    graphs = []
    edge_g = gid[A[:, 0]] if A.size else np.zeros(0, np.int64)
    for g in range(len(gl)):
        e = A[edge_g == g].T - starts[g]
        sl = slice(starts[g], ends[g])
        graphs.append(Graph(int(ends[g] - starts[g]), e.reshape(2, -1), None if xa is None else xa[sl],
                            None if nl is None else nl[sl], int(gl[g])))
    return graphs


def read_planetoid_npz(path: str | Path) -> Graph:
    """A node-classification graph from a citation-benchmark style ``.npz`` (see the module docstring)."""
    import scipy.sparse as sp

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no graph file at {path}: expected an .npz with adj_data/adj_indices/adj_indptr/"
                                "adj_shape and labels (e.g. cora.npz); nothing is downloaded")
    with np.load(path, allow_pickle=False) as z:
        keys = set(z.files)
        need = {"adj_data", "adj_indices", "adj_indptr", "adj_shape", "labels"}
        if not need <= keys:
            raise ValueError(f"{path} lacks {sorted(need - keys)}; it has {sorted(keys)}")
        A = sp.csr_matrix((z["adj_data"], z["adj_indices"], z["adj_indptr"]), shape=tuple(z["adj_shape"])).tocoo()
        if {"attr_data", "attr_indices", "attr_indptr", "attr_shape"} <= keys:
            x = sp.csr_matrix((z["attr_data"], z["attr_indices"], z["attr_indptr"]),
                              shape=tuple(z["attr_shape"])).toarray()
        else:
            x = z["attr"] if "attr" in keys else (z["x"] if "x" in keys else None)
        labels = z["labels"]
    n = A.shape[0]
    keep = A.row != A.col  # self-loops are not edges of a simplicial complex
    return Graph(n, np.stack([A.row[keep], A.col[keep]]).astype(np.int64), x, labels.astype(np.int64), None)
