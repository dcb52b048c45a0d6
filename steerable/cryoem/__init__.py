"""Cryo-EM reconstruction with amortised pose inference and a D4-equivariant pose encoder.

* :mod:`~steerable.cryoem.geometry`: RELION Euler angles, the 6D rotation parameterisation, geodesic distance.
* :mod:`~steerable.cryoem.volume`: atomic models (PDB) to densities; a synthetic asymmetric volume.
* :mod:`~steerable.cryoem.projection`: real-space and Fourier-slice projection, CTF, shifts, noise.
* :mod:`~steerable.cryoem.io`: MRC volumes and stacks, RELION STAR files.
* :mod:`~steerable.cryoem.encoders`: CNN and D4-equivariant pose encoders, ``E(g.Y) = E(Y) rho(g)^-1``.
* :mod:`~steerable.cryoem.reconstruct`: the amortised reconstruction (encoder + voxel volume rendered through the
  slice operator), symmetric loss, training with checkpoints.
* :mod:`~steerable.cryoem.metrics`: pose error after global alignment, FSC and resolution.
"""
from .geometry import euler_to_matrix, geodesic_distance, gram_schmidt, matrix_to_euler, random_rotations, rot_y, rot_z
from .volume import SHIPPED_PDB, Atoms, density_from_pdb, gaussian_blobs, read_pdb
from .projection import (
    FourierVolume, add_noise, ctf_2d, fourier_volume, image_from_spectrum, image_spectrum, project_fourier,
    project_real, shift_phase, simulate,
)
from .io import ParticleStack, read_mrc, read_stack, read_star, write_mrc, write_stack, write_star
from .encoders import CNNEncoder, D4Encoder, d4_action, make_encoder

__all__ = [
    "euler_to_matrix", "matrix_to_euler", "random_rotations", "gram_schmidt", "geodesic_distance", "rot_y", "rot_z",
    "SHIPPED_PDB", "Atoms", "read_pdb", "density_from_pdb", "gaussian_blobs",
    "FourierVolume", "fourier_volume", "project_real", "project_fourier", "image_spectrum", "image_from_spectrum",
    "ctf_2d", "shift_phase", "add_noise", "simulate",
    "ParticleStack", "read_mrc", "write_mrc", "read_star", "write_star", "read_stack", "write_stack",
    "CNNEncoder", "D4Encoder", "d4_action", "make_encoder",
]
