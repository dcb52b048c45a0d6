"""Metrics (alignment recovers a known global rotation and hand, FSC), the reconstruction pipeline and resume."""
from __future__ import annotations

import pytest
import torch

from steerable.cryoem import ParticleStack, gaussian_blobs, random_rotations, simulate
from steerable.cryoem.metrics import align_rotations, align_volume, fsc, resample_volume, resolution
from steerable.cryoem.reconstruct import AmortisedReconstruction, ReconstructionConfig, reconstruct

J = torch.diag(torch.tensor([1.0, 1.0, -1.0], dtype=torch.float64))


@pytest.mark.parametrize("mirrored", [False, True])
def test_alignment_recovers_a_known_global_rotation(mirrored):
    R = random_rotations(200, torch.Generator().manual_seed(0), dtype=torch.float64)
    Q = random_rotations(1, torch.Generator().manual_seed(1), dtype=torch.float64)[0]
    pred = Q @ (J @ R @ J if mirrored else R)
    pred[:30] = random_rotations(30, torch.Generator().manual_seed(2), dtype=torch.float64)  # 15% wrong poses
    a = align_rotations(pred, R)
    assert a.mirrored == mirrored
    assert torch.allclose(a.Q, Q, atol=1e-9)
    assert a.errors[30:].max() < 1e-5 and a.median < 1e-5 and a.errors[:30].median() > 10


def test_aligned_volume_matches_and_fsc():
    V = gaussian_blobs(24, seed=2, dtype=torch.float64)
    k, f = fsc(V, V, 2.0)
    assert torch.allclose(f, torch.ones_like(f)) and resolution(k, f, 0.5) == pytest.approx(4.0)
    R = random_rotations(50, torch.Generator().manual_seed(0), dtype=torch.float64)
    Q = random_rotations(1, torch.Generator().manual_seed(3), dtype=torch.float64)[0]
    Vhat = resample_volume(V, Q.T)  # V_hat(x) = V(Q^T x) pairs with poses Q R
    a = align_rotations(Q @ R, R)
    back = align_volume(Vhat, a)
    k, f_al = fsc(back, V, 2.0)
    _, f_raw = fsc(Vhat, V, 2.0)
    assert f_al[:6].min() > 0.95 and f_raw[:6].min() < 0.8
    noise = V + 0.3 * torch.randn(V.shape, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    kk, fn = fsc(noise, V, 2.0)
    assert 4.0 < resolution(kk, fn, 0.5) < resolution(kk, fn, 0.9)
    with pytest.raises(ValueError, match="one shape"):
        fsc(V, V[:-1, :-1, :-1])


def _stack(n: int = 96, N: int = 16) -> ParticleStack:
    R = random_rotations(n, torch.Generator().manual_seed(0))
    return ParticleStack(simulate(gaussian_blobs(N, seed=0), R), 2.0, R)


def test_oracle_reconstruction_learns_the_volume():
    st = _stack(256)
    res = reconstruct(st, ReconstructionConfig(encoder="oracle", steps=60, batch_size=32, lr_volume=0.05))
    k, f = fsc(res.volume, gaussian_blobs(16, seed=0), 2.0)
    assert f[:3].min() > 0.9, f


def test_symmetric_loss_picks_the_better_twin():
    torch.manual_seed(0)
    m = AmortisedReconstruction(16, "oracle", symmetric_loss=True)
    with torch.no_grad():
        m.volume.copy_(gaussian_blobs(16, seed=0))
    R = random_rotations(8, torch.Generator().manual_seed(4))
    Y = m.render(R).detach()
    twin = R @ m.rz_pi
    err, used = m(Y, None, twin)  # handed the twin, it renders the twin's twin (= R) and keeps it
    assert torch.allclose(used, twin @ m.rz_pi, atol=1e-6) and err.max() < 1e-10


def test_resume_continues_to_the_same_weights(tmp_path):
    st = _stack()
    cfg = ReconstructionConfig(encoder="cnn", steps=6, batch_size=8, eval_every=3, eval_count=32, channels=(4, 8))
    full = reconstruct(st, cfg)
    saved: list = []
    part = reconstruct(st, cfg, checkpoint=saved.append, checkpoint_every=2, stop_after=4)
    assert part.state["step"] == 4 and saved[-1]["step"] == 4
    torch.save(saved[-1], tmp_path / "c.pt")
    rest = reconstruct(st, cfg, state=torch.load(tmp_path / "c.pt", weights_only=True))
    assert torch.allclose(rest.volume, full.volume, atol=1e-6)
    assert [h["step"] for h in rest.history] == [3, 6]
    with pytest.raises(ValueError, match="another configuration"):
        reconstruct(st, ReconstructionConfig(encoder="d4", steps=6), state=saved[-1])


def test_bad_input():
    with pytest.raises(ValueError, match="encoder must be"):
        ReconstructionConfig(encoder="vgg")
    with pytest.raises(ValueError, match="steps must be"):
        ReconstructionConfig(steps=-1)
    m = AmortisedReconstruction(16, "cnn", channels=(4,))
    with pytest.raises(ValueError, match="box differs"):
        m(torch.zeros(2, 20, 20))
    with pytest.raises(ValueError, match="needs a stack with poses"):
        reconstruct(ParticleStack(torch.zeros(4, 16, 16), 1.0), ReconstructionConfig(encoder="oracle"))
