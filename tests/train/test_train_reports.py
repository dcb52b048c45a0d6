"""Reports of the training pipeline: CPU time per epoch, epoch-time medians with contended epochs
flagged, numerically sorted angle tables, labelled figure axes, fixed-split datasets."""
from __future__ import annotations

import json

import pytest
import torch

from steerable.train import TrainConfig, format_table, rotation_table, train
from steerable.train.compare import _epoch_times, run_compare
from steerable.train.invariance import rotated_copies, sorted_angles


def test_metrics_hold_cpu_time_per_epoch(tmp_path):
    cfg = TrainConfig(model="cnn", model_kwargs={"width": 0.25}, dataset="synthetic", n_train=40, n_test=20,
                      epochs=1, batch_size=20, out=str(tmp_path))
    res = train(cfg, progress=False, log=lambda s: None)
    row = res["history"][0]
    assert row["epoch_cpu_s"] > 0
    assert "epoch_cpu_s" in (tmp_path / "metrics.csv").read_text().splitlines()[0]


def test_epoch_times_are_medians_and_flag_contended_epochs():
    hist = [{"epoch": e + 1, "epoch_time_s": t, "epoch_cpu_s": 1.0} for e, t in enumerate([10, 11, 30, 10, 12])]
    t = _epoch_times(hist)
    assert t["epoch_time_s"] == 11 and t["epoch_time_min_s"] == 10 and t["epoch_time_max_s"] == 30
    assert t["contended_epochs"] == [3]  # 30 s is 2.7x the median; 12 s is not flagged


def test_angle_tables_are_sorted_numerically():
    assert sorted_angles([337.5, 10.0, 33.0, 0.0, 10.0, 22.5]) == [0.0, 10.0, 22.5, 33.0, 337.5]
    model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(25, 3))
    x, y = torch.rand(6, 1, 5, 5), torch.randint(0, 3, (6,))
    rows = rotation_table(model, x, y, [337.5, 90.0, 10.0, 0.0, 33.0, 90.0])
    assert [r["angle"] for r in rows] == [0.0, 10.0, 33.0, 90.0, 337.5]
    lines = format_table(list(reversed(rows))).splitlines()[1:]
    assert [float(ln.split()[0]) for ln in lines] == [0.0, 10.0, 33.0, 90.0, 337.5]


def test_batched_rotation_equals_rotating_each_image():
    import math

    import numpy as np

    from steerable.datasets import rotate_image

    x = torch.rand(4, 2, 9, 9, dtype=torch.float64)
    got = rotated_copies(x, [33.0], order=3)[33.0]
    ref = np.stack([[rotate_image(x[i, c].numpy(), math.radians(33.0), order=3) for c in range(2)] for i in range(4)])
    ref = np.clip(ref, 0.0, float(x.max()))
    assert torch.allclose(got, torch.from_numpy(ref), atol=1e-12)


def test_compare_report_has_time_spread_cpu_and_labelled_bars(tmp_path, monkeypatch):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels: list[tuple[str, str]] = []
    real_savefig = matplotlib.figure.Figure.savefig

    def spy(fig, path, *a, **kw):
        if str(path).endswith("params_time.png"):
            labels.extend((ax.get_xlabel(), ax.get_ylabel()) for ax in fig.axes)
        return real_savefig(fig, path, *a, **kw)

    monkeypatch.setattr(matplotlib.figure.Figure, "savefig", spy)
    res = run_compare(tmp_path, models=["cnn"], epochs=2, width=0.2, n_train=40, n_test=20, batch_size=20,
                      dataset="synthetic", angles=[337.5, 10.0, 0.0], progress=False, log=lambda s: None)
    plt.close("all")
    assert len(labels) == 2 and all(x and y for x, y in labels), labels
    s = res["summary"]["cnn"]
    assert s["epoch_time_min_s"] <= s["epoch_time_s"] <= s["epoch_time_max_s"] and s["epoch_cpu_s"] > 0
    report = (tmp_path / "report.md").read_text()
    assert "flagged as contended" in report and "CPU s" in report
    table = report.split("### cnn")[1].split("```")[1].strip().splitlines()[1:]
    assert [float(ln.split()[0]) for ln in table] == [0.0, 10.0, 337.5]
    assert [r["angle"] for r in json.loads((tmp_path / "results.json").read_text())["runs"]["cnn"][0]["rotation"]] \
        == [0.0, 10.0, 337.5]


def test_fixed_split_dataset_takes_no_seed(tmp_path):
    from steerable.train import DataUnavailable, load_data

    with pytest.raises((DataUnavailable, FileNotFoundError, ValueError)) as e:
        load_data("mnist-rot-amat", root=str(tmp_path))
    assert "seed" not in str(e.value)
