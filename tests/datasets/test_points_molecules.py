"""N-body simulator, procedural shapes, ModelNet/QM9 readers and the shipped QM9-like set."""
import numpy as np
import pytest

from steerable.datasets import (
    SHAPE_CLASSES, ProceduralShapes, load_modelnet40_h5, load_modelnet40_off, load_qm9_like, read_off, read_qm9_sdf,
    read_qm9_xyz, sample_surface, simulate_charged_nbody,
)


def test_nbody_seeded_and_momentum_conserving():
    a, b = simulate_charged_nbody(6, steps=200, seed=3), simulate_charged_nbody(6, steps=200, seed=3)
    assert all(np.array_equal(a[k], b[k]) for k in a)
    assert not np.array_equal(a["loc"], simulate_charged_nbody(6, steps=200, seed=4)["loc"])
    # pairwise forces cancel: the centre of mass moves with the mean initial velocity
    com = a["loc"].mean(1) + 200 * 1e-3 * a["vel"].mean(1)
    assert np.allclose(a["target"].mean(1), com, atol=1e-4)
    assert np.abs(a["target"] - a["loc"]).max() > 1e-2  # the particles move
    with pytest.raises(ValueError, match="n_particles"):
        simulate_charged_nbody(2, n_particles=0)


def test_procedural_shapes():
    tr = ProceduralShapes("train", n_per_class=3, n_points=128)
    te = ProceduralShapes("test", n_per_class=3, n_points=128)
    assert tr.points.shape == (3 * len(SHAPE_CLASSES), 128, 3) and te.labels.tolist() == tr.labels.tolist()
    assert np.allclose((tr.points**2).sum(-1).mean(1), 1.0, atol=1e-5)
    assert np.allclose(tr.points.mean(1), 0, atol=1e-5)
    # test shapes are rotated: their second moments are no longer axis-aligned
    cov = np.einsum("npi,npj->nij", te.points, te.points)
    off_diag = np.abs(cov - np.einsum("nii->ni", cov)[:, :, None] * np.eye(3)).max()
    assert off_diag > 1.0
    with pytest.raises(ValueError, match="split"):
        ProceduralShapes("val")


def test_off_reader_and_surface_sampling(tmp_path):
    f = tmp_path / "cube.off"
    V = [[x, y, z] for x in (0, 1) for y in (0, 1) for z in (0, 1)]
    quads = [(0, 1, 3, 2), (4, 6, 7, 5), (0, 4, 5, 1), (2, 3, 7, 6), (0, 2, 6, 4), (1, 5, 7, 3)]
    f.write_text("OFF8 6 0\n" + "".join(f"{a} {b} {c}\n" for a, b, c in V) + "".join(f"4 {' '.join(map(str, q))}\n" for q in quads))
    Vr, F = read_off(f)
    assert Vr.shape == (8, 3) and F.shape == (12, 3)
    p = sample_surface(Vr, F, 2000, np.random.default_rng(0))
    on_face = np.isclose(p, 0, atol=1e-9) | np.isclose(p, 1, atol=1e-9)
    assert on_face.any(1).all() and (p >= -1e-9).all() and (p <= 1 + 1e-9).all()
    assert abs(on_face.mean(0) - 1 / 3).max() < 0.05  # uniform by area: each axis' faces hold a third
    (tmp_path / "M" / "cube" / "train").mkdir(parents=True)
    (tmp_path / "M" / "cube" / "train" / "a.off").write_text(f.read_text())
    pts, labels, classes = load_modelnet40_off(tmp_path / "M", "train", n_points=64)
    assert pts.shape == (1, 64, 3) and classes == ["cube"]
    with pytest.raises(FileNotFoundError, match="ModelNet"):
        load_modelnet40_off(tmp_path / "nothing")
    with pytest.raises((FileNotFoundError, ImportError), match="ply_data|h5py"):
        load_modelnet40_h5(tmp_path)
    bad = tmp_path / "bad.off"
    bad.write_text("PLY\n")
    with pytest.raises(ValueError, match="not an OFF"):
        read_off(bad)


XYZ = """3
gdb 1\t157.7\t157.7\t157.7\t1.85\t13.2\t-0.3877\t0.1171\t0.5048\t35.36\t0.0443\t-40.47\t-40.47\t-40.47\t-40.49\t6.469
O\t-0.0343\t0.9775\t0.0076\t-0.4
H\t0.0647\t0.0205\t0.0015\t0.2
H\t0.8717\t1.3008\t0.0007\t2.1*^-1
1\t2\t3
O\tO
InChI=1S/H2O/h1H2\tInChI=1S/H2O/h1H2
"""

MOL = """water

  made by hand
  3  2  0  0  0  0  0  0  0  0999 V2000
   -0.0343    0.9775    0.0076 O   0  0  0  0  0  0  0  0  0  0  0  0
    0.0647    0.0205    0.0015 H   0  0  0  0  0  0  0  0  0  0  0  0
    0.8717    1.3008    0.0007 H   0  0  0  0  0  0  0  0  0  0  0  0
  1  2  1  0
  1  3  1  0
M  END
$$$$
"""


def test_qm9_readers(tmp_path):
    (tmp_path / "dsgdb9nsd_000001.xyz").write_text(XYZ)
    m = read_qm9_xyz(tmp_path)
    assert len(m) == 1 and m[0]["Z"].tolist() == [8, 1, 1] and np.isclose(m.target("gap")[0], 0.5048)
    (tmp_path / "gdb9.sdf").write_text(MOL)
    (tmp_path / "gdb9.sdf.csv").write_text("mol_id,A,homo,gap\ngdb_1,157.7,-0.3877,0.5048\n")
    s = read_qm9_sdf(tmp_path / "gdb9.sdf")
    assert s[0]["bonds"].tolist() == [[0, 1], [0, 2]] and s.target_names == ("A", "homo", "gap")
    assert np.allclose(s[0]["pos"], m[0]["pos"])
    with pytest.raises(FileNotFoundError, match="gdb9"):
        read_qm9_sdf(tmp_path / "missing.sdf")
    with pytest.raises(FileNotFoundError, match="xyz"):
        read_qm9_xyz(tmp_path / "nope")
    with pytest.raises(ValueError, match="unknown target"):
        m.target("spin")


def test_shipped_qm9_like():
    m = load_qm9_like()
    assert len(m) >= 100 and "HF/STO-3G" in m.level_of_theory
    heavy = [(m[i]["Z"] > 1).sum() for i in range(len(m))]
    assert max(heavy) <= 9 and set(np.unique(m.Z)) <= {1, 6, 7, 8, 9}
    gap = m.target("gap")
    assert np.allclose(gap, m.target("lumo") - m.target("homo")) and (gap > 0).all()
    # MMFF geometries: bonded atoms are 0.9-1.8 Angstrom apart
    mol = m[0]
    d = np.linalg.norm(mol["pos"][mol["bonds"][:, 0]] - mol["pos"][mol["bonds"][:, 1]], axis=1)
    assert (d > 0.9).all() and (d < 1.8).all()
