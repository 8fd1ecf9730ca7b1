"""Data-parallel training over MPI gives the single-process results.

The runs of ``tests/helpers/data_parallel_training.py`` are started with
``mpirun`` on 2 or 3 processes, over the loopback interface only, and
compared with the same run in this process (no MPI: whole batches). The MPI
tests are skipped, with the reason, when Open MPI's ``mpirun`` or
``mpi4py`` is not installed.

"""

import importlib.util
import json
import os
import pathlib
import shutil
import subprocess
import sys
import time

import numpy
import pytest

import symbolic
from blocks import distributed
from blocks.algorithms import DataParallel, GradientDescent, ParameterAveraging, Scale
from symbolic import tensor
from tests.helpers import data_parallel_training as training

ROOT = pathlib.Path(__file__).resolve().parents[2]
TIMEOUT = 120

mpi_missing = None
if shutil.which("mpirun") is None:
    mpi_missing = "Open MPI's mpirun is not installed (apt-get install openmpi-bin)"
elif importlib.util.find_spec("mpi4py") is None:
    mpi_missing = "mpi4py is not installed (pip install mpi4py, the `mpi` extra)"
needs_mpi = pytest.mark.skipif(mpi_missing is not None, reason=str(mpi_missing))


def mpirun(workers, call, env=None):
    """Run ``tests.helpers.data_parallel_training.<call>`` on `workers` processes."""
    environment = dict(os.environ)
    environment.update(
        {
            "PYTHONPATH": os.pathsep.join(
                [str(ROOT), environment.get("PYTHONPATH", "")]
            ),
            # CI runs as root, which Open MPI refuses without these.
            "OMPI_ALLOW_RUN_AS_ROOT": "1",
            "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM": "1",
            "OMP_NUM_THREADS": "1",
        }
    )
    environment.pop(training.KILL_AT, None)
    environment.pop(training.HANG_AT, None)
    environment.update(env or {})
    command = [
        "mpirun",
        "-n",
        str(workers),
        "--oversubscribe",
        "--mca",
        "btl",
        "self,tcp",
        "--mca",
        "btl_tcp_if_include",
        "lo",
        "--mca",
        "oob_tcp_if_include",
        "lo",
    ]
    for name in (
        "PYTHONPATH",
        "OMP_NUM_THREADS",
        "BLOCKS_MPI_TIMEOUT",
        training.KILL_AT,
        training.HANG_AT,
    ):
        if name in environment:
            command += ["-x", name]
    code = f"from tests.helpers.data_parallel_training import *; {call}"
    command += [sys.executable, "-c", code]
    return subprocess.run(
        command,
        env=environment,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )


def results(folder):
    with numpy.load(folder / "final.npz") as npz:
        parameters = {name: npz[name] for name in npz.files}
    with open(folder / "records.json") as file_:
        records = json.load(file_)
    return parameters, records


def assert_same_results(expected_folder, folder):
    expected_parameters, expected_records = results(expected_folder)
    parameters, records = results(folder)
    assert sorted(parameters) == sorted(expected_parameters)
    for name, value in expected_parameters.items():
        numpy.testing.assert_allclose(parameters[name], value, rtol=1e-9, atol=1e-12)
    assert sorted(records) == sorted(expected_records)
    for name, value in expected_records.items():
        assert records[name] == pytest.approx(value, rel=1e-9, abs=1e-12), name


def single_process(tmp_path, kind, batch_size):
    folder = tmp_path / "single"
    folder.mkdir()
    training.main(kind, str(folder), batch_size)
    return folder


def folder_in(tmp_path, name):
    folder = tmp_path / name
    folder.mkdir()
    return folder


@needs_mpi
@pytest.mark.parametrize(
    "kind, workers, batch_size",
    # 46 training examples: batches of 12 on 3 workers leave an uneven
    # last batch (shards of 4, 3 and 3 examples); batches of 2 on 3
    # workers leave worker 2 an empty shard of every batch.
    [("mlp", 2, 8), ("mlp", 3, 12), ("mlp", 3, 2), ("lstm", 2, 6)],
)
def test_data_parallel_equals_single_process_on_the_whole_batch(
    tmp_path, kind, workers, batch_size
):
    expected = single_process(tmp_path, kind, batch_size)
    folder = folder_in(tmp_path, "parallel")
    result = mpirun(workers, f"main({kind!r}, {str(folder)!r}, {batch_size})")
    assert result.returncode == 0, result.stdout + result.stderr
    # Parameters after 50 steps, the training cost of every batch and the
    # validation cost of every epoch, all combined over the workers.
    assert_same_results(expected, folder)


@needs_mpi
def test_parameter_averaging_every_batch_equals_synchronous_sgd(tmp_path):
    # Two workers with even shards: averaging the parameters after every
    # local step is the synchronous step.
    expected = single_process(tmp_path, "mlp", 8)
    folder = folder_in(tmp_path, "averaging")
    result = mpirun(2, f"main('mlp', {str(folder)!r}, 8, averaging=True)")
    assert result.returncode == 0, result.stdout + result.stderr
    assert_same_results(expected, folder)


@needs_mpi
def test_killed_worker_ends_the_run_and_the_checkpoint_resumes(tmp_path):
    full = folder_in(tmp_path, "full")
    result = mpirun(2, f"main('mlp', {str(full)!r}, 8)")
    assert result.returncode == 0, result.stdout + result.stderr

    # Worker 1 dies after batch 20; the last checkpoint is that of batch 18.
    crashed = folder_in(tmp_path, "crashed")
    start = time.monotonic()
    result = mpirun(2, f"main('mlp', {str(crashed)!r}, 8)", {training.KILL_AT: "20"})
    assert result.returncode != 0
    assert time.monotonic() - start < TIMEOUT
    assert not (crashed / "final.npz").exists()

    result = mpirun(2, f"resume({str(crashed)!r})")
    assert result.returncode == 0, result.stdout + result.stderr
    assert_same_results(full, crashed)


@needs_mpi
def test_worker_that_stops_responding_times_the_others_out(tmp_path):
    folder = folder_in(tmp_path, "hang")
    result = mpirun(
        2,
        f"main('mlp', {str(folder)!r}, 8)",
        {training.HANG_AT: "5", "BLOCKS_MPI_TIMEOUT": "2"},
    )
    assert result.returncode != 0
    assert "WorkerTimeoutError" in result.stderr
    assert "did not complete within 2 s" in result.stderr
    assert not (folder / "final.npz").exists()


def _descent():
    W = symbolic.shared(numpy.array([1.0, -2.0]), name="W")
    x = tensor.matrix("x")
    cost = ((x.dot(W) - 1.0) ** 2).mean()
    return W, GradientDescent(cost=cost, parameters=[W], step_rule=Scale(0.1))


def test_single_process_is_the_wrapped_algorithm():
    assert distributed.world() is None
    batch = {"x": numpy.arange(6.0).reshape(3, 2)}
    W, plain = _descent()
    plain.initialize()
    plain.process_batch(batch)
    for wrapper in (DataParallel, lambda a: ParameterAveraging(a, every_n_batches=2)):
        V, descent = _descent()
        algorithm = wrapper(descent)
        algorithm.initialize()
        algorithm.process_batch(batch)
        numpy.testing.assert_array_equal(V.get_value(), W.get_value())
        # The wrapped algorithm's attributes read through.
        assert algorithm.parameters == [V]
        assert algorithm.total_gradient_norm is descent.total_gradient_norm


def test_wrappers_reject_what_they_cannot_wrap():
    with pytest.raises(TypeError, match="DataParallel wraps a GradientDescent"):
        DataParallel(object())
    _, descent = _descent()
    with pytest.raises(ValueError, match="every_n_batches must be positive"):
        ParameterAveraging(descent, every_n_batches=0)


def test_packer_round_trip_with_scale_and_extra():
    arrays = [numpy.arange(6.0).reshape(2, 3), numpy.array(4.0), numpy.ones(2)]
    packer = distributed.Packer(arrays, extra=1)
    buffer = packer.pack(arrays, scales=2.0)
    packer.extra[0] = 7.0
    assert buffer.shape == (10,)
    unpacked = packer.unpack()
    for array, value in zip(arrays, unpacked, strict=True):
        numpy.testing.assert_array_equal(value, 2.0 * array)
        assert value.shape == array.shape
    assert packer.extra[0] == 7.0


def test_single_process_world_without_a_launcher(monkeypatch):
    for name in ("OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_SIZE"):
        monkeypatch.delenv(name, raising=False)
    assert distributed.launched_size() == 1
    assert distributed.rank() == 0
    assert distributed.is_main_worker()
    assert distributed.world() is None
