"""The implicit-kernels study end to end in quick mode (a pipeline check: < 20 s)."""
import json

from steerable.cli.main import main
from steerable.studies import STUDIES, load_study


def test_quick_study_writes_report(tmp_path):
    assert "implicit-kernels" in STUDIES and load_study("implicit-kernels").TITLE
    assert main(["study", "implicit-kernels", "--quick", "--out", str(tmp_path)]) == 0
    for f in ("report.md", "metrics.json", "shapes_accuracy.png"):
        assert (tmp_path / f).is_file(), f
    m = json.loads((tmp_path / "metrics.json").read_text())
    assert {r["model"] for r in m["shapes"]} == {"O(3) implicit", "SO(3) implicit", "SO(2)<O(3) implicit", "O(3) analytic",
                                                 "SO(3) analytic"}
    assert {r["model"] for r in m["qm9"]} == {"no edge attributes", "bond types as edge attributes"}
    assert len(m["nbody"]) == 2 and all(r["test_mse"] > 0 for r in m["nbody"])
    assert len(m["targets"]) == 4 and all(isinstance(t["met"], bool) for t in m["targets"])
    # the O(3)/SO(3) models are invariant by construction: rotating the test shapes changes no prediction
    assert all(r["stable_10_rot"] == 1.0 for r in m["shapes"] if not r["model"].startswith("SO(2)"))
