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
import random
import shutil
import signal
import subprocess
import sys

import numpy
import pytest

from blocks.serialization import load, load_parameters
from tests.helpers import resume_training
from tests.helpers.resume_training import EPOCHS

ROOT = pathlib.Path(__file__).resolve().parents[2]


def run(args, env=None, cwd=ROOT, timeout=600):
    environment = dict(os.environ)
    # No empty entry: it would put the current folder on the search path.
    environment["PYTHONPATH"] = os.pathsep.join(
        [str(ROOT), *filter(None, environment.get("PYTHONPATH", "").split(os.pathsep))]
    )
    environment.pop(resume_training.KILL_AT, None)
    environment.update(env or {})
    return subprocess.run(
        args, env=environment, cwd=cwd, capture_output=True, text=True, timeout=timeout
    )


def train(folder, env=None):
    code = (
        "import sys; from tests.helpers.resume_training import main; main(sys.argv[1])"
    )
    return run([sys.executable, "-c", code, str(folder)], env=env)


def blocks_continue(checkpoint, *options, env=None, cwd=ROOT, timeout=600):
    arguments = [str(checkpoint), *options]
    # The console script sits beside the interpreter in a virtual environment.
    beside = pathlib.Path(sys.executable).with_name("blocks-continue")
    command = str(beside) if beside.exists() else shutil.which("blocks-continue")
    if command is not None:
        return run([command, *arguments], env=env, cwd=cwd, timeout=timeout)
    # What the console script installed by setup.py runs.
    code = "import sys; from blocks.scripts.continue_training import main; main()"
    return run(
        [sys.executable, "-c", code, *arguments], env=env, cwd=cwd, timeout=timeout
    )


def read_parameters(path):
    with numpy.load(path) as npz:
        return {name: npz[name] for name in npz.files}


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory):
    """The folder of a run never killed: its checkpoint and final parameters.

    How often it saved checkpoints and which log backend it used change
    neither the parameters nor the logged values, so all the tests compare
    with this one run.

    """
    folder = tmp_path_factory.mktemp("uninterrupted")
    result = train(folder)
    assert result.returncode == 0, result.stderr
    return folder


def test_resume_after_sigkill_gives_the_uninterrupted_parameters(
    tmp_path, uninterrupted
):
    crashed = tmp_path / "crashed"
    crashed.mkdir()
    expected = read_parameters(uninterrupted / "final.npz")

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


def test_resuming_a_finished_run_stops_at_once(uninterrupted):
    checkpoint = uninterrupted / "checkpoint.tar"
    finished = checkpoint.read_bytes()
    # Before the fix, it trained on until killed: the timeout bounds that.
    result = blocks_continue(checkpoint, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "already finished" in result.stderr
    assert checkpoint.read_bytes() == finished


TRAINING_SCRIPT = """
import sys

import numpy

from blocks.algorithms import GradientDescent, Scale
from blocks.bricks import Initializable, Linear, application
from blocks.extensions import FinishAfter
from blocks.extensions.saveload import Checkpoint
from blocks.initialization import Constant
from blocks.main_loop import MainLoop
from blocks.model import Model
from fuel.datasets import IndexableDataset
from fuel.schemes import SequentialScheme
from fuel.streams import DataStream
from symbolic import tensor


class TwoLayer(Initializable):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.first = Linear(4, 3, name="first")
        self.second = Linear(3, 1, name="second")
        self.children = [self.first, self.second]

    @application(inputs=["x"], outputs=["y"])
    def apply(self, x):
        return self.second.apply(tensor.tanh(self.first.apply(x)))


if __name__ == "__main__":
    x = tensor.matrix("x")
    brick = TwoLayer(weights_init=Constant(0.1), biases_init=Constant(0))
    brick.initialize()
    cost = (brick.apply(x) ** 2).mean()
    parameters = [*brick.first.parameters, *brick.second.parameters]
    algorithm = GradientDescent(cost=cost, parameters=parameters, step_rule=Scale(0.1))
    data = IndexableDataset({"x": numpy.ones((8, 4), dtype=x.dtype)})
    stream = DataStream(data, iteration_scheme=SequentialScheme(8, 4))
    extensions = [FinishAfter(after_n_epochs=1), Checkpoint(sys.argv[1])]
    MainLoop(algorithm, stream, model=Model(cost), extensions=extensions).run()
"""


def test_classes_of_the_training_script_need_the_script(tmp_path):
    project, elsewhere = tmp_path / "project", tmp_path / "elsewhere"
    project.mkdir()
    elsewhere.mkdir()
    script = project / "train.py"
    script.write_text(TRAINING_SCRIPT)
    checkpoint = project / "checkpoint.tar"
    result = run([sys.executable, str(script), str(checkpoint)], cwd=project)
    assert result.returncode == 0, result.stderr
    with open(checkpoint, "rb") as f:
        first = load_parameters(f)

    # The current folder comes last on the module search path, if at all.
    (elsewhere / "sqlite3.py").write_text(
        "raise SystemExit('the sqlite3.py of the current folder was imported')\n"
    )
    result = blocks_continue(checkpoint, "--finish-after-epochs", "2", cwd=elsewhere)
    assert result.returncode != 0
    assert "current folder" not in result.stderr
    assert "TwoLayer" in result.stderr
    assert "--script" in result.stderr

    result = blocks_continue(
        checkpoint,
        "--script",
        str(script),
        "--finish-after-epochs",
        "2",
        cwd=elsewhere,
    )
    assert result.returncode == 0, result.stderr
    # This process cannot unpickle TwoLayer: the parameters tell that
    # training went on.
    with open(checkpoint, "rb") as f:
        resumed = load_parameters(f)
    assert sorted(resumed) == sorted(first) != []
    assert any((resumed[name] != first[name]).any() for name in first)


def test_blocks_continue_reports_a_missing_file(tmp_path):
    result = blocks_continue(tmp_path / "none.tar")
    assert result.returncode == 2
    assert "no checkpoint file" in result.stderr


# The randomized kill test: each log backend's run is killed KILLS times,
# at random moments (after a batch, while a checkpoint is written, or right
# after it is renamed into place), and resumed with blocks-continue after
# each kill. It must end with the parameters and log of a run never killed.
# A process gets at most KILL_CHECKPOINT_EVERY batches further before it is
# killed, so all the kills happen before training ends.
KILLS = 8
KILL_CHECKPOINT_EVERY = 3
BATCHES_PER_EPOCH = 15


def _random_kill(rng, checkpoint_size):
    if rng.random() < 1 / 3:
        return f"batch:{rng.randint(1, KILL_CHECKPOINT_EVERY + 1)}"
    # Past the size of the file, the kill comes right after the rename.
    return f"save:1:{rng.randint(1, int(checkpoint_size * 1.1))}"


def _train_killed_and_resumed(folder, backend, rng, checkpoint_size):
    env = {
        resume_training.LOG_BACKEND: backend,
        resume_training.CHECKPOINT_EVERY_VARIABLE: str(KILL_CHECKPOINT_EVERY),
        "BLOCKS_SQLITEDB": str(folder / "log.sqlite"),
    }
    kills = []
    for _ in range(KILLS):
        kills.append(_random_kill(rng, checkpoint_size))
        env[resume_training.KILL] = kills[-1]
        if (folder / "checkpoint.tar").exists():
            result = blocks_continue(folder / "checkpoint.tar", env=env)
        else:
            result = train(folder, env=env)
        assert result.returncode == -signal.SIGKILL, (
            f"kills {kills}: {result.returncode} {result.stderr}"
        )
    env.pop(resume_training.KILL)
    if (folder / "checkpoint.tar").exists():
        result = blocks_continue(folder / "checkpoint.tar", env=env)
    else:
        # Every kill came during the first save: there is nothing to resume,
        # so the run starts over, as its user would start it.
        result = train(folder, env=env)
    assert result.returncode == 0, f"kills {kills}: {result.stderr}"
    return kills


@pytest.mark.parametrize("backend", ["python", "sqlite"])
def test_randomized_kills_end_bitwise_equal(tmp_path, backend, uninterrupted):
    seed = int(os.environ.get("BLOCKS_TEST_KILL_SEED", random.randrange(2**32)))
    rng = random.Random(f"{seed}:{backend}")
    killed = tmp_path / "killed"
    killed.mkdir()
    expected = read_parameters(uninterrupted / "final.npz")
    with open(uninterrupted / "checkpoint.tar", "rb") as f:
        expected_log = load(f).log

    kills = _train_killed_and_resumed(
        killed, backend, rng, os.path.getsize(uninterrupted / "checkpoint.tar")
    )
    message = f"seed {seed} (BLOCKS_TEST_KILL_SEED), kills {kills}"
    resumed = read_parameters(killed / "final.npz")
    assert sorted(resumed) == sorted(expected), message
    for name, value in expected.items():
        assert resumed[name].tobytes() == value.tobytes(), f"{name}: {message}"
    with open(killed / "checkpoint.tar", "rb") as f:
        final = load(f)
    assert final.status["iterations_done"] == EPOCHS * BATCHES_PER_EPOCH, message
    assert final.status["epochs_done"] == EPOCHS, message
    for epoch in range(1, EPOCHS + 1):
        time = epoch * BATCHES_PER_EPOCH
        assert final.log[time]["train_cost"] == expected_log[time]["train_cost"], (
            f"epoch {epoch}: {message}"
        )
    # The successful saves removed the leftovers of the killed ones.
    assert not [p for p in os.listdir(killed) if p.startswith(".blocks_dump_")]
