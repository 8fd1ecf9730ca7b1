"""Resuming from a checkpoint after a crash gives the uninterrupted result.

The training run of ``tests/helpers/resume_training.py`` is run three times,
each in a fresh process: once without interruption; once killed with
SIGKILL in the middle of its second epoch, between two checkpoints; and
once more, resuming that killed run from its last checkpoint with
``blocks-continue``. The resumed run must end with exactly the parameters
of the uninterrupted one.

"""

import os
import pathlib
import shutil
import signal
import subprocess
import sys

import numpy
import pytest

from blocks.serialization import load
from tests.helpers import resume_training

ROOT = pathlib.Path(__file__).resolve().parents[2]


def run(args, env=None, cwd=ROOT):
    environment = dict(os.environ)
    environment["PYTHONPATH"] = os.pathsep.join(
        [str(ROOT), environment.get("PYTHONPATH", "")]
    )
    environment.pop(resume_training.KILL_AT, None)
    environment.update(env or {})
    return subprocess.run(
        args, env=environment, cwd=cwd, capture_output=True, text=True, timeout=600
    )


def train(folder, env=None):
    code = (
        "import sys; from tests.helpers.resume_training import main; main(sys.argv[1])"
    )
    return run([sys.executable, "-c", code, str(folder)], env=env)


def blocks_continue(checkpoint):
    # The console script sits beside the interpreter in a virtual environment.
    beside = pathlib.Path(sys.executable).with_name("blocks-continue")
    command = str(beside) if beside.exists() else shutil.which("blocks-continue")
    if command is not None:
        return run([command, str(checkpoint)])
    # What the console script installed by setup.py runs.
    code = "import sys; from blocks.scripts.continue_training import main; main()"
    return run([sys.executable, "-c", code, str(checkpoint)])


def read_parameters(path):
    with numpy.load(path) as npz:
        return {name: npz[name] for name in npz.files}


def test_resume_after_sigkill_gives_the_uninterrupted_parameters(tmp_path):
    full, crashed = tmp_path / "full", tmp_path / "crashed"
    full.mkdir()
    crashed.mkdir()

    result = train(full)
    assert result.returncode == 0, result.stderr
    expected = read_parameters(full / "final.npz")

    # 15 batches an epoch and a checkpoint every 6: the last checkpoint
    # before the kill, after batch 20, is in the middle of epoch two.
    result = train(crashed, env={resume_training.KILL_AT: "20"})
    assert result.returncode == -signal.SIGKILL, result.stderr
    assert not (crashed / "final.npz").exists()
    with open(crashed / "checkpoint.tar", "rb") as f:
        checkpointed = load(f)
    assert checkpointed.status["iterations_done"] == 18
    assert checkpointed.status["epochs_done"] == 1
    assert checkpointed.status["epoch_started"] is True

    result = blocks_continue(crashed / "checkpoint.tar")
    assert result.returncode == 0, result.stderr
    resumed = read_parameters(crashed / "final.npz")
    assert sorted(resumed) == sorted(expected)
    for name, value in expected.items():
        numpy.testing.assert_array_equal(resumed[name], value, err_msg=name)

    with open(crashed / "checkpoint.tar", "rb") as f:
        final = load(f)
    assert final.status["iterations_done"] == 30
    assert final.status["epochs_done"] == 2
    assert final.status["resumed_from"] is not None
    assert final.log[15]["train_cost"] == pytest.approx(
        checkpointed.log[15]["train_cost"]
    )


def test_blocks_continue_reports_a_missing_file(tmp_path):
    result = blocks_continue(tmp_path / "none.tar")
    assert result.returncode == 2
    assert "no checkpoint file" in result.stderr
