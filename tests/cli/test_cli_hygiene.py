"""The command line keeps users' files safe and speaks in one line: no tracebacks for bad model
arguments, no empty folders after a failed start, no silent overwrite of a run or an evaluation,
checkpoint errors that say what the file is, and sorted, labelled reports."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from steerable.cli.main import main

TINY = ["--dataset", "synthetic", "--n-train", "40", "--n-test", "20", "--batch-size", "20", "--no-progress"]


def _one_line_error(capsys, argv: list[str], *patterns: str) -> str:
    capsys.readouterr()
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err, err
    assert err.startswith(f"steerable {argv[0]}: error:"), err
    for p in patterns:
        assert p in err, err
    return err


def _train(out: Path, *extra: str) -> int:
    return main(["train", "--model", "cnn", "--width", "0.25", "--epochs", "1", "--out", str(out), *TINY, *extra])


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("hyg") / "run"
    assert _train(out) == 0
    return out


def test_unknown_model_arg_is_one_line_and_leaves_no_folder(tmp_path, capsys):
    out = tmp_path / "a" / "b"
    _one_line_error(capsys, ["train", "--model", "cnn", "--model-arg", "foo=1", "--out", str(out), *TINY],
                    "foo", "'cnn'")
    assert not out.exists() and not (tmp_path / "a").exists()


def test_failed_data_start_leaves_no_folder(tmp_path, capsys):
    out = tmp_path / "x"
    _one_line_error(capsys, ["train", "--model", "cnn", "--out", str(out), "--dataset", "mnist-rot-amat",
                             "--data-root", str(tmp_path / "nowhere"), "--no-progress"], "not available")
    assert not out.exists()


def test_failed_compare_leaves_no_folder(tmp_path, capsys):
    out = tmp_path / "cmp"
    _one_line_error(capsys, ["compare", "--models", "cnn", "--dataset", "mnist-rot-amat", "--data-root",
                             str(tmp_path / "nowhere"), "--out", str(out), "--no-progress"], "not available")
    assert not out.exists()


def test_train_refuses_an_existing_run_without_resume_or_force(run_dir, capsys):
    before = (run_dir / "checkpoint.pt").read_bytes()
    _one_line_error(capsys, ["train", "--model", "cnn", "--width", "0.25", "--epochs", "1", "--out", str(run_dir),
                             *TINY], "already holds a training run", "--resume", "--force")
    assert (run_dir / "checkpoint.pt").read_bytes() == before
    _one_line_error(capsys, ["train", "--model", "cnn", "--out", str(run_dir), "--resume", "--force", *TINY],
                    "give one of them")


def test_train_force_starts_over(tmp_path, capsys):
    out = tmp_path / "run"
    assert _train(out) == 0
    assert _train(out, "--force", "--seed", "3") == 0
    assert json.loads((out / "metrics.json").read_text())["config"]["seed"] == 3


def test_epochs_zero_says_what_it_did(tmp_path, capsys):
    capsys.readouterr()
    assert main(["train", "--model", "cnn", "--width", "0.25", "--epochs", "0", "--out", str(tmp_path / "z"),
                 *TINY]) == 0
    assert "0 epochs requested, so nothing was trained" in capsys.readouterr().out


def test_second_eval_does_not_overwrite_the_first(run_dir, capsys, tmp_path):
    out = tmp_path / "ev"
    assert main(["eval", str(run_dir), "--angles", "0", "90", "--out", str(out), "--no-progress"]) == 0
    first = (out / "rotation.json").read_text()
    _one_line_error(capsys, ["eval", str(run_dir), "--angles", "0", "--out", str(out)],
                    "already holds an evaluation", "--force")
    assert (out / "rotation.json").read_text() == first
    assert main(["eval", str(run_dir), "--angles", "0", "--out", str(out), "--force", "--no-progress"]) == 0
    assert (out / "rotation.json").read_text() != first


def test_eval_says_what_a_bad_file_is(run_dir, capsys, tmp_path):
    txt = tmp_path / "notes.pt"
    txt.write_text("epoch 1: loss 0.3\n")
    err = _one_line_error(capsys, ["eval", str(txt), "--out", str(tmp_path / "e1")], "a text file")
    assert ": 101" not in err
    raw = (run_dir / "checkpoint.pt").read_bytes()
    cut = tmp_path / "cut.pt"
    cut.write_bytes(raw[: len(raw) // 2])
    _one_line_error(capsys, ["eval", str(cut), "--out", str(tmp_path / "e2")], f"truncated at byte {len(raw) // 2}")
    empty = tmp_path / "empty.pt"
    empty.write_bytes(b"")
    _one_line_error(capsys, ["eval", str(empty), "--out", str(tmp_path / "e3")], "an empty file")
    _one_line_error(capsys, ["eval", str(run_dir), "--model", "so2", "--out", str(tmp_path / "e4")],
                    "a checkpoint of model 'cnn', not 'so2'")
    assert not any((tmp_path / f"e{i}").exists() for i in range(1, 5))


def test_eval_progress_bar_over_angles(run_dir, capsys, tmp_path):
    assert main(["eval", str(run_dir), "--angles", "0", "45", "90", "--out", str(tmp_path / "p"), "--progress"]) == 0
    assert "rotation test" in capsys.readouterr().err
