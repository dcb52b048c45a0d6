"""``steerable study sheaf --quick``: runs end to end and writes its report, figure and targets."""
from __future__ import annotations

import json

from steerable.cli.main import main
from steerable.studies.sheaf import balanced_accuracy


def test_balanced_accuracy():
    import numpy as np
    y = np.array([0, 0, 0, 1, 2])
    assert balanced_accuracy(np.array([0, 0, 0, 0, 0]), y) == 1 / 3
    assert balanced_accuracy(y, y) == 1.0


def test_quick_sheaf_study(tmp_path):
    assert main(["study", "sheaf", "--quick", "--out", str(tmp_path)]) == 0
    for f in ("report.md", "metrics.json", "stalk_dims.png"):
        assert (tmp_path / f).is_file(), f
    m = json.loads((tmp_path / "metrics.json").read_text())
    acc = m["balanced_accuracy"]
    assert set(acc) == {"dim H_1 (non-learned)", "GCN", "GAT", "LH-sheaf diffusion", "persistent LH-sheaf"}
    assert all(0.0 <= a <= 1.0 for a in acc.values())
    assert acc["dim H_1 (non-learned)"] > 0.6   # the topology is readable from the stalks even at the quick size
    params = m["params"]
    assert max(params.values()) <= 1.15 * min(v for v in params.values() if v)   # equal budgets, within 15 %
    assert len(m["targets"]) == 2
