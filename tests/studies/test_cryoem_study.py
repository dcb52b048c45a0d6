"""``steerable study cryoem --quick`` runs end to end and writes its report, figures and targets."""
from __future__ import annotations

import json

from steerable.cli.main import main


def test_quick_cryoem_study(tmp_path, capsys):
    assert main(["study", "cryoem", "--quick", "--out", str(tmp_path)]) == 0
    m = json.loads((tmp_path / "metrics.json").read_text())
    methods = {r["method"] for r in m["rows"]}
    assert methods == {"oracle poses", "CNN + symmetric loss", "CNN", "D4"}
    assert len(m["targets"]) == 5 and all(isinstance(t["met"], bool) for t in m["targets"])
    for f in ("report.md", "fsc_blobs_SNR_1.png", "slices_blobs_SNR_1.png"):
        assert (tmp_path / f).is_file(), f
    assert m["seconds"] < 60
