"""MRC and STAR round trips, particle stacks, and their bad-input errors."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from steerable.cryoem import (
    ParticleStack, random_rotations, read_mrc, read_stack, read_star, write_mrc, write_stack, geodesic_distance,
)


def test_mrc_round_trip(tmp_path):
    V = torch.randn(5, 6, 7)
    write_mrc(tmp_path / "v.mrc", V, 1.25)
    W, px = read_mrc(tmp_path / "v.mrc")
    assert torch.equal(V, W) and px == 1.25
    mrcfile = pytest.importorskip("mrcfile")  # cross-check with the reference reader where installed
    with mrcfile.open(tmp_path / "v.mrc") as m:
        assert np.array_equal(m.data, V.numpy()) and abs(float(m.voxel_size.x) - 1.25) < 1e-6
    ints = (10 * V).numpy().astype(np.int16)
    mrcfile.new(tmp_path / "w.mrc", data=ints)  # mode 1, written by the reference writer
    assert torch.equal(read_mrc(tmp_path / "w.mrc")[0], torch.from_numpy(ints.astype(np.float32)))


def test_mrc_bad_input(tmp_path):
    (tmp_path / "short.mrc").write_bytes(b"\0" * 100)
    with pytest.raises(ValueError, match="1024-byte"):
        read_mrc(tmp_path / "short.mrc")
    write_mrc(tmp_path / "v.mrc", torch.zeros(4, 4, 4))
    (tmp_path / "cut.mrc").write_bytes((tmp_path / "v.mrc").read_bytes()[:1100])
    with pytest.raises(ValueError, match="data bytes"):
        read_mrc(tmp_path / "cut.mrc")
    with pytest.raises(ValueError, match="nz, ny, nx"):
        write_mrc(tmp_path / "x.mrc", torch.zeros(4, 4))


def test_stack_round_trip(tmp_path):
    B = 7
    R = random_rotations(B, torch.Generator().manual_seed(0))
    st = ParticleStack(torch.randn(B, 8, 8), 3.5, R, torch.randn(B, 2), torch.full((B,), 15000.0),
                       torch.full((B,), 14000.0), torch.full((B,), 30.0), voltage=200.0, cs=2.0, amplitude_contrast=0.07)
    star = write_stack(tmp_path / "s", st)
    back = read_stack(tmp_path / "s")
    assert torch.equal(back.images, st.images) and back.pixel_size == 3.5 and back.voltage == 200.0
    assert geodesic_distance(back.rotations.double(), R.double()).max() < 1e-3
    assert torch.allclose(back.shifts, st.shifts, atol=1e-5) and torch.allclose(back.defocus_v, st.defocus_v)
    assert torch.allclose(back.ctf(), st.ctf(), atol=1e-4)
    starfile = pytest.importorskip("starfile")  # the reference reader agrees on the table
    df = starfile.read(star)["particles"]
    assert len(df) == B and abs(float(df["rlnDefocusU"][0]) - 15000.0) < 1e-6
    assert read_star(star)["optics"]["rlnVoltage"] == ["200.000000"]


def test_stack_bad_input(tmp_path):
    with pytest.raises(ValueError, match=r"rotations must be \(3, 3, 3\)"):
        ParticleStack(torch.zeros(3, 4, 4), 1.0, torch.zeros(2, 3, 3))
    write_stack(tmp_path / "s", ParticleStack(torch.zeros(3, 4, 4), 1.0))
    star = tmp_path / "s" / "particles.star"
    text = star.read_text()
    star.write_text(text.replace("000003@particles.mrcs 1\n", ""))
    with pytest.raises(ValueError, match="2 rows .* holds 3 images"):
        read_stack(star)
    star.write_text(text.replace("000003@particles.mrcs", "000009@particles.mrcs"))
    with pytest.raises(ValueError, match="row 3, field 'rlnImageName'.*holds 3 images"):
        read_stack(star)
    star.write_text(text.replace("000002@particles.mrcs 1", "000002@particles.mrcs"))
    with pytest.raises(ValueError, match="1 values for the 2 columns"):
        read_stack(star)
