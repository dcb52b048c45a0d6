"""Geometry, volumes and the image model: RELION angles, projections' symmetries, Fourier slice, CTF, noise."""
from __future__ import annotations

import math

import pytest
import torch

from steerable.cryoem import (
    SHIPPED_PDB, ctf_2d, density_from_pdb, euler_to_matrix, fourier_volume, gaussian_blobs, geodesic_distance,
    image_from_spectrum, image_spectrum, matrix_to_euler, project_fourier, project_real, random_rotations, read_pdb,
    rot_y, rot_z, shift_phase, simulate,
)
from steerable.cryoem.projection import add_noise, electron_wavelength
from steerable.cryoem.volume import pymol_pdbs


def _rots(n: int, seed: int = 0) -> torch.Tensor:
    return random_rotations(n, torch.Generator().manual_seed(seed), dtype=torch.float64)


def test_relion_euler_convention_and_round_trip():
    ang = torch.tensor([[30.0, 60.0, -45.0], [-170.0, 10.0, 100.0], [5.0, 120.0, 0.0]], dtype=torch.float64)
    R = euler_to_matrix(ang)
    a, b, g = torch.deg2rad(ang).unbind(-1)
    assert torch.allclose(R, rot_z(a) @ rot_y(b) @ rot_z(g), atol=1e-12)
    # RELION's A = R^T maps volume coordinates to image coordinates; tilt = 90 about y sends z to -x in A
    A = euler_to_matrix(torch.tensor([0.0, 90.0, 0.0], dtype=torch.float64)).T
    assert torch.allclose(A @ torch.tensor([0.0, 0.0, 1.0], dtype=torch.float64),
                          torch.tensor([-1.0, 0.0, 0.0], dtype=torch.float64), atol=1e-12)
    assert torch.allclose(matrix_to_euler(R), ang, atol=1e-9)
    Rs = _rots(50)
    assert geodesic_distance(euler_to_matrix(matrix_to_euler(Rs)), Rs).max() < 1e-5
    with pytest.raises(ValueError, match=r"\(rot, tilt, psi\)"):
        euler_to_matrix(torch.zeros(2, 2))


def test_geodesic_distance():
    th = torch.tensor([0.0, 0.3, 2.0, math.pi], dtype=torch.float64)
    d = geodesic_distance(torch.eye(3, dtype=torch.float64).expand(4, 3, 3), rot_y(th))
    assert torch.allclose(d, torch.rad2deg(th), atol=1e-9)


def test_read_pdb_and_density():
    atoms = read_pdb(SHIPPED_PDB)
    assert len(atoms.elements) == 2084 and set(atoms.elements) <= {"C", "N", "O", "S", "H"}
    V = density_from_pdb(SHIPPED_PDB, 32, 2.0, 6.0, dtype=torch.float64)
    # the Gaussians are normalised: the density integrates to the electron count (all of it inside the box)
    assert abs(float(V.sum()) - float(atoms.weights.sum())) < 1e-3 * float(atoms.weights.sum())
    with pytest.raises(ValueError, match="box"):
        density_from_pdb(SHIPPED_PDB, 16, 1.0, 6.0)
    for p in pymol_pdbs()[:1]:  # Debian's pymol-data, where installed
        assert len(read_pdb(p).elements) > 0


def test_pdb_bad_input(tmp_path):
    empty = tmp_path / "empty.pdb"
    empty.write_text("REMARK nothing\nEND\n")
    with pytest.raises(ValueError, match="no ATOM"):
        read_pdb(empty)
    bad = tmp_path / "bad.pdb"
    bad.write_text("ATOM      1  CA  ALA A   1      11.1ab   2.000   3.000  1.00  0.00           C\n")
    with pytest.raises(ValueError, match=r"bad.pdb, line 1: cannot parse coordinate x"):
        read_pdb(bad)
    with pytest.raises(ValueError, match="no such PDB"):
        read_pdb(tmp_path / "missing.pdb")


def test_image_symmetries_are_pose_right_multiplications():
    """rot90(P_R V) = P_{R Rz(90)} V and flip_x(P_R V) = P_{R diag(-1, 1, -1)} V, noiseless, odd box."""
    V = gaussian_blobs(17, seed=3, dtype=torch.float64)
    R = _rots(6, 1)
    P = project_real(V, R)
    Rz90 = rot_z(torch.tensor(math.pi / 2, dtype=torch.float64))
    mirror = torch.diag(torch.tensor([-1.0, 1.0, -1.0], dtype=torch.float64))
    assert float(P.abs().max()) > 1.0
    assert (torch.rot90(P, 1, dims=(-2, -1)) - project_real(V, R @ Rz90)).abs().max() < 1e-6
    assert (torch.flip(P, (-1,)) - project_real(V, R @ mirror)).abs().max() < 1e-6
    # and the two differ from P itself (the test can fail)
    assert (torch.rot90(P, 1, dims=(-2, -1)) - P).abs().max() > 1e-2


@pytest.mark.parametrize("volume", ["blobs", "pdb"])
def test_real_and_fourier_slice_projections_agree(volume):
    """Both interpolate (trilinear along rays vs trilinear in the 2x padded spectrum): agreement to a few % of
    the image norm (measured 3.2% on the blobs, 4.9% on il2 at 6 Å)."""
    V = gaussian_blobs(32, seed=1) if volume == "blobs" else density_from_pdb(SHIPPED_PDB, 32, 2.0, 6.0)
    R = random_rotations(8, torch.Generator().manual_seed(0))
    P = project_real(V, R)
    Q = image_from_spectrum(project_fourier(fourier_volume(V, 2), R))
    err = float((P - Q).norm() / P.norm())
    assert err < (0.04 if volume == "blobs" else 0.06), err
    # a wrong pose is far off
    assert float((P - project_real(V, R.flip(0))).norm() / P.norm()) > 0.2


def test_ctf_against_hand_computed_value():
    lam = electron_wavelength(300.0)
    assert abs(lam - 0.0196875) < 1e-6  # 12.2643247 / sqrt(3e5 (1 + 0.2935398))
    N, px, df = 16, 2.0, 15000.0
    C = ctf_2d(N, px, torch.tensor([df]), amplitude_contrast=0.1, cs=2.7, voltage=300.0)
    assert abs(float(C[0, N // 2, N // 2]) + 0.1) < 1e-7  # k = 0: -w
    # pixel (y, x) = (8, 11): k = (3, 0) / (16 * 2 Å)
    s2 = (3 / 32.0) ** 2
    gamma = 2 * math.pi * (-0.5 * df * lam * s2 + 0.25 * 2.7e7 * lam**3 * s2**2)
    expect = math.sqrt(1 - 0.01) * math.sin(gamma) - 0.1 * math.cos(gamma)
    assert abs(float(C[0, 8, 11]) - expect) < 1e-6
    assert abs(expect) > 0.05
    with pytest.raises(ValueError, match="amplitude_contrast"):
        ctf_2d(N, px, torch.tensor([df]), amplitude_contrast=1.5)


def test_shift_and_noise():
    V = gaussian_blobs(16, seed=0, dtype=torch.float64)
    R = _rots(2)
    P = project_real(V, R)
    S = image_from_spectrum(image_spectrum(P) * shift_phase(16, torch.tensor([[2.0, -1.0], [0.0, 3.0]], dtype=torch.float64)))
    assert torch.allclose(S[0], torch.roll(P[0], (-1, 2), (-2, -1)), atol=1e-9)  # (x, y) = (2, -1): cols +2, rows -1
    assert torch.allclose(S[1], torch.roll(P[1], (3, 0), (-2, -1)), atol=1e-9)
    g = torch.Generator().manual_seed(0)
    Y = add_noise(P.float().repeat(200, 1, 1), 0.5, g)
    noise_var = float((Y - P.float().repeat(200, 1, 1)).var())
    assert abs(noise_var / float(P.float().reshape(2, -1).var(1).mean()) - 2.0) < 0.05
    with pytest.raises(ValueError, match="snr"):
        add_noise(P, 0.0)
    with pytest.raises(ValueError, match="method"):
        simulate(V, R, method="nope")
    with pytest.raises(ValueError, match="cubic"):
        project_real(torch.zeros(4, 4, 5), R)
