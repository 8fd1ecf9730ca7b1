import logging
import os
import pathlib
import pickle
import subprocess
import sys

import numpy
import pytest

from blocks.config import config
from blocks.log import BACKENDS, SQLiteLog, TrainingLog


@pytest.fixture(params=["python", "sqlite_file", "sqlite_memory"])
def make_log(request, tmp_path):
    def make():
        if request.param == "python":
            return TrainingLog()
        if request.param == "sqlite_memory":
            return SQLiteLog(":memory:")
        return SQLiteLog(str(tmp_path / "log.sqlite"))

    return make


def test_backends():
    assert BACKENDS == {"python": TrainingLog, "sqlite": SQLiteLog}


def test_log_rows_and_status(make_log):
    log = make_log()
    assert log.status["iterations_done"] == 0
    assert log.status["epochs_done"] == 0
    assert log.status["_epoch_ends"] == []
    assert log.status["resumed_from"] is None
    log.current_row["cost"] = 2.5
    log.status["iterations_done"] += 1
    assert log.previous_row["cost"] == 2.5
    assert dict(log.current_row) == {}
    log.current_row.update({"cost": 1.5, "note": "hello"})
    log.status["_epoch_ends"] += [1]
    assert log.last_epoch_row["note"] == "hello"
    assert dict(log[1]) == {"cost": 1.5, "note": "hello"}
    assert sorted(log) == [0, 1]
    assert len(log) == 2
    assert "cost" in log[0]
    assert "missing" not in log[0]
    assert log[0].get("missing", 3) == 3


def test_log_keeps_value_types(make_log):
    log = make_log()
    row = log.current_row
    row["flag"] = True
    row["text"] = "abc"
    row["none"] = None
    row["tuple"] = ("a.tar", None)
    row["array"] = numpy.arange(3)
    row["scalar"] = numpy.float32(0.25)
    assert row["flag"] is True
    assert row["text"] == "abc"
    assert row["none"] is None
    assert row["tuple"] == ("a.tar", None)
    numpy.testing.assert_array_equal(row["array"], numpy.arange(3))
    assert row["scalar"] == 0.25


def test_log_rejects_bad_times(make_log):
    log = make_log()
    for bad in (-1, 1.5, "1", None, True):
        with pytest.raises(ValueError, match="non-negative integer"):
            log[bad]
    assert dict(log[numpy.int64(0)]) == {}


def test_training_log_rejects_bad_times_on_assignment():
    log = TrainingLog()
    with pytest.raises(ValueError, match="non-negative integer"):
        log[-2] = {}
    log[3] = {"a": 1}
    assert log[3] == {"a": 1}


def test_log_resume(make_log):
    log = make_log()
    log.current_row["cost"] = 1.0
    log.status["iterations_done"] = 5
    old_uuid = log.h_uuid
    log.resume()
    assert log.h_uuid != old_uuid
    assert log.status["resumed_from"] == old_uuid
    assert log.status["iterations_done"] == 5
    assert log[0]["cost"] == 1.0


def test_log_pickling(make_log):
    log = make_log()
    log.current_row["cost"] = 1.0
    log.status["iterations_done"] = 1
    log.current_row["other"] = "x"
    copy = pickle.loads(pickle.dumps(log))
    assert type(copy) is type(log)
    assert copy.h_uuid == log.h_uuid
    assert copy.status["iterations_done"] == 1
    assert copy[0]["cost"] == 1.0
    assert copy.current_row["other"] == "x"


def test_sqlite_log_sees_its_ancestors(tmp_path):
    log = SQLiteLog(str(tmp_path / "log.sqlite"))
    log.current_row["a"] = 1
    log.status["iterations_done"] = 1
    log.current_row["b"] = 2
    log.resume()
    log.current_row["b"] = 3
    log.status["iterations_done"] = 2
    log.current_row["c"] = 4
    log.resume()
    assert log[0]["a"] == 1
    assert log[1]["b"] == 3
    assert log[2]["c"] == 4
    assert sorted(log[1]) == ["b"]
    assert sorted(log) == [0, 1, 2]


def test_a_pickled_sqlite_log_goes_back_to_its_pickled_state(tmp_path):
    # The run goes on after its checkpoint (the pickle), then dies.
    log = SQLiteLog(str(tmp_path / "log.sqlite"))
    for time in range(4):
        log.current_row["cost"] = float(time)
        log.status["iterations_done"] += 1
    pickled = pickle.dumps(log)
    for time in range(4, 7):
        log.current_row["cost"] = float(time)
        log.status["iterations_done"] += 1
    log.current_row["cost"] = 7.0

    loaded = pickle.loads(pickled)
    assert loaded.status["iterations_done"] == 4
    assert sorted(loaded) == [0, 1, 2, 3]
    assert len(loaded) == 4
    assert "cost" not in loaded[5]
    assert loaded[3]["cost"] == 3.0
    # The live log is left as it was.
    assert log.status["iterations_done"] == 7
    assert sorted(log) == list(range(8))
    # Resuming the loaded log carries on from its pickled state.
    loaded.resume()
    loaded.current_row["cost"] = 40.0
    assert loaded[4]["cost"] == 40.0
    assert sorted(loaded) == [0, 1, 2, 3, 4]
    assert log[4]["cost"] == 4.0


def test_an_unchanged_sqlite_log_loads_as_itself(tmp_path):
    log = SQLiteLog(str(tmp_path / "log.sqlite"))
    log.current_row["cost"] = 1.0
    log.status["iterations_done"] = 1
    loaded = pickle.loads(pickle.dumps(log))
    assert loaded.h_uuid == log.h_uuid


def test_sqlite_log_opened_by_uuid(tmp_path):
    database = str(tmp_path / "log.sqlite")
    log = SQLiteLog(database)
    log.current_row["cost"] = 0.5
    log.status["iterations_done"] = 1
    assert SQLiteLog.uuids(database) == [log.h_uuid]
    reader = SQLiteLog.open(log.h_uuid, database)
    assert reader.status["iterations_done"] == 1
    assert reader[0]["cost"] == 0.5


def test_sqlite_log_uses_config_database(tmp_path, monkeypatch):
    database = str(tmp_path / "configured.sqlite")
    monkeypatch.setenv("BLOCKS_SQLITEDB", database)
    assert config.sqlite_database == database
    log = SQLiteLog()
    assert log.database == database
    assert SQLiteLog.uuids(database) == [log.h_uuid]


def test_sqlite_log_warns_about_large_blobs(caplog):
    log = SQLiteLog(":memory:")
    with caplog.at_level(logging.WARNING, logger="blocks.log.sqlite"):
        log.current_row["big"] = numpy.zeros(10000)
    assert "max_blob_size" in caplog.text
    assert "A ndarray object of" in caplog.text
    assert log.current_row["big"].shape == (10000,)


def test_sqlite_log_delete(make_log):
    log = make_log()
    log.current_row["a"] = 1
    del log.current_row["a"]
    assert "a" not in log.current_row
    with pytest.raises(KeyError):
        del log.current_row["a"]


TRAIN_WITH_CONFIGURED_LOG = """
from blocks.extensions import FinishAfter
from tests.helpers.training_loop import WriteRecord, make_main_loop

main_loop = make_main_loop(
    [WriteRecord("cost", [0.5, 0.25, 0.125]), FinishAfter(after_n_epochs=3)], n=2
)
main_loop.run()
print(type(main_loop.log).__name__)
"""


def test_sqlite_run_is_read_back_by_another_process(tmp_path):
    database = tmp_path / "training.sqlite"
    config_file = tmp_path / "blocksrc.yaml"
    config_file.write_text(f"log_backend: sqlite\nsqlite_database: {database}\n")
    root = pathlib.Path(__file__).resolve().parents[2]
    env = dict(os.environ, BLOCKS_CONFIG=str(config_file))
    env["PYTHONPATH"] = os.pathsep.join([str(root), env.get("PYTHONPATH", "")])
    env.pop("BLOCKS_SQLITEDB", None)
    result = subprocess.run(
        [sys.executable, "-c", TRAIN_WITH_CONFIGURED_LOG],
        env=env,
        cwd=root,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "SQLiteLog"

    (h_uuid,) = SQLiteLog.uuids(str(database))
    log = SQLiteLog.open(h_uuid, str(database))
    assert log.status["iterations_done"] == 6
    assert log.status["epochs_done"] == 3
    assert log.status["_epoch_ends"] == [2, 4, 6]
    assert [log[t]["cost"] for t in (2, 4, 6)] == [0.5, 0.25, 0.125]
    assert log.current_row["training_finished"] is True
    assert sorted(log) == [2, 4, 6]


def test_module_doctests():
    import doctest
    import importlib

    failures, attempted = doctest.testmod(
        importlib.import_module("blocks.log.sqlite"), optionflags=doctest.ELLIPSIS
    )
    assert attempted > 0
    assert failures == 0


def test_training_log_doctests():
    import doctest
    import importlib

    failures, attempted = doctest.testmod(importlib.import_module("blocks.log.log"))
    assert attempted > 0
    assert failures == 0
