"""Point-cloud data: a charged N-body simulator, procedural labelled 3D shapes, ModelNet40 readers.

* :func:`simulate_charged_nbody`: the EGNN/SEGNN charged-particle setting -- ``n`` particles with
  charges ``+-1``, Coulomb-like forces ``F_i = sum_j q_i q_j (x_i - x_j) / |x_i - x_j|^3``,
  seeded Gaussian initial positions and velocities, leapfrog integration; the task is to predict
  the positions after ``steps`` steps from the initial positions, velocities and charges.
  The dynamics commute with rotations, translations and particle permutations.
* :class:`ProceduralShapes`: 8 classes of closed surfaces (sphere, cube, cylinder, cone, torus,
  tetrahedron, octahedron, elongated ellipsoid) with random size and aspect jitter, sampled
  uniformly by area; train canonical, test randomly rotated (``rotate=True``).
* :func:`read_off`, :func:`sample_surface`, :func:`load_modelnet40_off` (the standard
  ``ModelNet40/<class>/<split>/*.off`` tree) and :func:`load_modelnet40_h5` (the 2048-point
  HDF5 release, needs ``pip install steerable[points]`` for h5py).

Example:
    >>> sim = simulate_charged_nbody(4, seed=0)
    >>> sim["loc"].shape, sim["target"].shape
    ((4, 5, 3), (4, 5, 3))
    >>> ProceduralShapes("train", n_per_class=2, n_points=64).points.shape
    (16, 64, 3)
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from scipy.spatial.transform import Rotation

__all__ = ["simulate_charged_nbody", "ProceduralShapes", "SHAPE_CLASSES", "read_off", "sample_surface",
           "load_modelnet40_off", "load_modelnet40_h5", "random_rotations"]

SHAPE_CLASSES = ("sphere", "cube", "cylinder", "cone", "torus", "tetrahedron", "octahedron", "ellipsoid")


def simulate_charged_nbody(n_samples: int, n_particles: int = 5, steps: int = 1000, dt: float = 1e-3,
                           seed: int = 0, box: float = 1.0) -> dict[str, np.ndarray]:
    """Seeded charged-particle trajectories; returns ``loc``, ``vel`` ``(S, n, 3)``, ``charges`` ``(S, n)``
    and ``target`` (positions after ``steps`` steps), float32.  Forces are softened at ``|r| < 0.1``."""
    for name, v in (("n_samples", n_samples), ("n_particles", n_particles), ("steps", steps)):
        if isinstance(v, bool) or not isinstance(v, int) or v < 1:
            raise ValueError(f"{name} must be a positive int, got {v!r}")
    g = np.random.default_rng(seed)
    x = g.normal(scale=box * 0.5, size=(n_samples, n_particles, 3))
    v = g.normal(scale=0.5, size=(n_samples, n_particles, 3))
    q = g.choice([-1.0, 1.0], size=(n_samples, n_particles))
    x0, v0 = x.copy(), v.copy()

    def acc(x: np.ndarray) -> np.ndarray:
        d = x[:, :, None, :] - x[:, None, :, :]  # x_i - x_j
        r = np.sqrt((d**2).sum(-1) + 1e-2)  # softened
        f = (q[:, :, None] * q[:, None, :])[..., None] * d / r[..., None] ** 3
        return f.sum(2)  # unit masses; the diagonal vanishes (d = 0)

    a = acc(x)
    for _ in range(steps):  # leapfrog (velocity Verlet)
        v += 0.5 * dt * a
        x += dt * v
        a = acc(x)
        v += 0.5 * dt * a
    return {"loc": x0.astype(np.float32), "vel": v0.astype(np.float32), "charges": q.astype(np.float32),
            "target": x.astype(np.float32)}


def random_rotations(n: int, seed: int = 0) -> np.ndarray:
    """``n`` Haar-random rotation matrices ``(n, 3, 3)``."""
    return Rotation.random(n, random_state=seed).as_matrix()


def sample_surface(vertices: np.ndarray, faces: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` points uniform by area on a triangle mesh (polygons are fanned into triangles)."""
    V = np.asarray(vertices, np.float64)
    tris = np.asarray(faces, np.int64)
    if V.ndim != 2 or V.shape[1] != 3 or tris.ndim != 2 or tris.shape[1] != 3 or len(tris) == 0:
        raise ValueError(f"need vertices (V, 3) and triangles (F, 3), got {V.shape} and {tris.shape}")
    a, b, c = V[tris[:, 0]], V[tris[:, 1]], V[tris[:, 2]]
    area = 0.5 * np.linalg.norm(np.cross(b - a, c - a), axis=1)
    if not area.sum() > 0:
        raise ValueError("the mesh has zero area")
    k = rng.choice(len(tris), size=n, p=area / area.sum())
    u, w = rng.random((2, n))
    flip = u + w > 1
    u[flip], w[flip] = 1 - u[flip], 1 - w[flip]
    return a[k] + u[:, None] * (b[k] - a[k]) + w[:, None] * (c[k] - a[k])


def _polyhedron(name: str) -> tuple[np.ndarray, np.ndarray]:
    if name == "cube":
        V = np.array([[x, y, z] for x in (-1, 1) for y in (-1, 1) for z in (-1, 1)], float)
        quads = [(0, 1, 3, 2), (4, 6, 7, 5), (0, 4, 5, 1), (2, 3, 7, 6), (0, 2, 6, 4), (1, 5, 7, 3)]
        F = [(q[0], q[1], q[2]) for q in quads] + [(q[0], q[2], q[3]) for q in quads]
        return V, np.array(F)
    if name == "tetrahedron":
        return np.array([[1, 1, 1], [1, -1, -1], [-1, 1, -1], [-1, -1, 1]], float), np.array([(0, 1, 2), (0, 3, 1), (0, 2, 3), (1, 3, 2)])
    V = np.array([[1, 0, 0], [-1, 0, 0], [0, 1, 0], [0, -1, 0], [0, 0, 1], [0, 0, -1]], float)
    F = [(i, j, k) for i in (0, 1) for j in (2, 3) for k in (4, 5)]
    return V, np.array(F)


def _shape(name: str, n: int, rng: np.random.Generator) -> np.ndarray:
    if name in ("cube", "tetrahedron", "octahedron"):
        return sample_surface(*_polyhedron(name), n, rng)
    z = rng.normal(size=(n, 3))
    u = z / np.linalg.norm(z, axis=1, keepdims=True)
    if name == "sphere":
        return u
    if name == "ellipsoid":
        return u * np.array([0.5, 0.5, 1.6])  # not exactly area-uniform; a distinct class is what matters
    t = rng.random(n) * 2 * np.pi
    if name == "torus":  # area-uniform by rejection on the tube angle
        R, r = 1.0, 0.35
        out = []
        while sum(len(o) for o in out) < n:
            th, ph = rng.random(4 * n) * 2 * np.pi, rng.random(4 * n) * 2 * np.pi
            keep = rng.random(4 * n) < (R + r * np.cos(ph)) / (R + r)
            th, ph = th[keep], ph[keep]
            out.append(np.stack([(R + r * np.cos(ph)) * np.cos(th), (R + r * np.cos(ph)) * np.sin(th), r * np.sin(ph)], 1))
        return np.concatenate(out)[:n]
    if name == "cylinder":  # side area 2 pi h * 1, caps 2 * pi
        h = 2.0
        side = rng.random(n) < h / (h + 1.0)
        zz = np.where(side, (rng.random(n) - 0.5) * h, np.sign(rng.random(n) - 0.5) * h / 2)
        rr = np.where(side, 1.0, np.sqrt(rng.random(n)))
        return np.stack([rr * np.cos(t), rr * np.sin(t), zz], 1)
    if name == "cone":  # apex at z = 1, base radius 1 at z = -1
        slant = np.sqrt(5.0)
        side = rng.random(n) < slant / (slant + 1.0)
        s = np.sqrt(rng.random(n))  # area grows linearly with the distance from the apex
        rr = np.where(side, s, np.sqrt(rng.random(n)))
        zz = np.where(side, 1 - 2 * s, -1.0)
        return np.stack([rr * np.cos(t), rr * np.sin(t), zz], 1)
    raise ValueError(f"unknown shape class {name!r}; choose from {SHAPE_CLASSES}")


class ProceduralShapes:
    """Labelled point clouds of :data:`SHAPE_CLASSES`, centred and scaled to unit RMS radius.

    Args:
        split: ``"train"`` or ``"test"`` (different seeds).
        n_per_class: shapes per class.
        n_points: points per shape.
        rotate: apply a Haar-random rotation to every shape (default: ``split == "test"``).
        seed: base seed.

    Attributes: ``points`` ``(n, n_points, 3)`` float32, ``labels`` ``(n,)`` int64.
    """

    def __init__(self, split: str = "train", n_per_class: int = 50, n_points: int = 256, rotate: bool | None = None,
                 seed: int = 0) -> None:
        if split not in ("train", "test"):
            raise ValueError(f"split must be 'train' or 'test', got {split!r}")
        rng = np.random.default_rng([seed, 0 if split == "train" else 1])
        pts, labels = [], []
        for c, name in enumerate(SHAPE_CLASSES):
            for _ in range(n_per_class):
                p = _shape(name, n_points, rng) * rng.uniform(0.8, 1.25, size=3)  # aspect jitter
                p -= p.mean(0)
                pts.append(p / np.sqrt((p**2).sum(1).mean()))
                labels.append(c)
        self.points = np.stack(pts).astype(np.float32)
        self.labels = np.array(labels, np.int64)
        if rotate if rotate is not None else split == "test":
            R = random_rotations(len(self.points), seed=seed + 17 + (split == "test"))
            self.points = np.einsum("nij,npj->npi", R, self.points).astype(np.float32)
        self.classes = SHAPE_CLASSES

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, i: int) -> tuple[np.ndarray, int]:
        return self.points[i], int(self.labels[i])


def read_off(path: str | os.PathLike[str]) -> tuple[np.ndarray, np.ndarray]:
    """``(vertices (V, 3), triangles (F, 3))`` of an OFF file (polygons fanned; ModelNet's glued
    ``OFF<V> <F> <E>`` first line is accepted)."""
    text = Path(path).read_text().split("\n")
    lines = [ln.strip() for ln in text if ln.strip() and not ln.startswith("#")]
    if not lines or not lines[0].startswith("OFF"):
        raise ValueError(f"{path} is not an OFF file (first line {lines[:1]})")
    head = lines[0][3:].split()
    rest = lines[1:]
    if not head:
        head, rest = rest[0].split(), rest[1:]
    nv, nf = int(head[0]), int(head[1])
    V = np.array([[float(v) for v in ln.split()[:3]] for ln in rest[:nv]])
    F = []
    for ln in rest[nv : nv + nf]:
        idx = [int(v) for v in ln.split()]
        poly = idx[1 : 1 + idx[0]]
        F += [(poly[0], poly[i], poly[i + 1]) for i in range(1, len(poly) - 1)]
    return V, np.array(F, np.int64).reshape(-1, 3)


def load_modelnet40_off(root: str | os.PathLike[str], split: str = "train", n_points: int = 1024,
                        seed: int = 0, limit_per_class: int | None = None) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """``(points (n, n_points, 3), labels, classes)`` from ``root/<class>/<split>/*.off``, sampled by area."""
    root = Path(root)
    classes = sorted(p.name for p in root.iterdir() if (p / split).is_dir()) if root.is_dir() else []
    if not classes:
        raise FileNotFoundError(f"no ModelNet class folders with a '{split}' subfolder under {root}")
    rng = np.random.default_rng(seed)
    pts, labels = [], []
    for c, name in enumerate(classes):
        for f in sorted((root / name / split).glob("*.off"))[:limit_per_class]:
            p = sample_surface(*read_off(f), n_points, rng)
            p -= p.mean(0)
            pts.append(p / np.sqrt((p**2).sum(1).mean()))
            labels.append(c)
    return np.stack(pts).astype(np.float32), np.array(labels, np.int64), classes


def load_modelnet40_h5(root: str | os.PathLike[str], split: str = "train") -> tuple[np.ndarray, np.ndarray]:
    """``(points (n, 2048, 3), labels)`` from the HDF5 release (``ply_data_<split>*.h5``)."""
    try:
        import h5py
    except ImportError as e:
        raise ImportError("reading ModelNet40's HDF5 files needs h5py: pip install steerable[points]") from e
    files = sorted(Path(root).glob(f"ply_data_{split}*.h5"))
    if not files:
        raise FileNotFoundError(f"no ply_data_{split}*.h5 files in {root} (ModelNet40's modelnet40_ply_hdf5_2048 release)")
    pts, labels = [], []
    for f in files:
        with h5py.File(f, "r") as h:
            pts.append(np.asarray(h["data"], np.float32))
            labels.append(np.asarray(h["label"], np.int64).reshape(-1))
    return np.concatenate(pts), np.concatenate(labels)
