"""``blocks-plot``: curves of a finished run from its SQLite log or a checkpoint."""

import json
import re

import numpy
import pytest

import symbolic
from blocks.algorithms import GradientDescent, Scale
from blocks.extensions import FinishAfter
from blocks.extensions.monitoring import TrainingDataMonitoring
from blocks.log.sqlite import SQLiteLog
from blocks.main_loop import MainLoop
from blocks.serialization import dump
from fuel.datasets import IterableDataset
from fuel.streams import DataStream

pytest.importorskip("bokeh", reason="blocks-plot needs bokeh (the 'plot' extra)")

from blocks.scripts.plot import main


def short_run(log):
    """Three epochs of fitting x ** a to x ** 2, monitored every epoch."""
    a = symbolic.shared(3.0)
    a.name = "a"
    x = symbolic.tensor.scalar("data")
    cost = abs(x**2 - x**a)
    cost.name = "cost"
    stream = DataStream(
        IterableDataset(
            numpy.random.RandomState(2).rand(5).astype(symbolic.config.floatX)
        )
    )
    main_loop = MainLoop(
        model=None,
        data_stream=stream,
        algorithm=GradientDescent(
            cost=cost, parameters=[a], step_rule=Scale(learning_rate=0.1)
        ),
        log=log,
        extensions=[
            FinishAfter(after_n_epochs=3),
            TrainingDataMonitoring([cost, a], after_epoch=True),
        ],
    )
    main_loop.run()
    return main_loop


def html_curves(path):
    """The data of the named ColumnDataSources embedded in a Bokeh HTML file."""
    html = path.read_text(encoding="utf-8")
    assert "<script src=" not in html, "the file should be self-contained"
    [document] = re.findall(
        r'<script type="application/json"[^>]*>(.*?)</script>', html, flags=re.S
    )
    curves = {}

    def walk(node):
        if isinstance(node, dict):
            attributes = node.get("attributes", {})
            if node.get("name") == "ColumnDataSource" and "name" in attributes:
                data = dict(attributes["data"]["entries"])
                curves[attributes["name"]] = (data["iterations"], data["value"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(json.loads(document))
    return curves


def epoch_values(log, channel):
    times = [t for t in sorted(log.keys()) if channel in log[t]]
    return times, [float(log[t][channel]) for t in times]


def test_blocks_plot_from_sqlite_log(tmp_path, capsys):
    database = str(tmp_path / "log.sqlite")
    main_loop = short_run(SQLiteLog(database))
    output = tmp_path / "curves.html"
    main([database, "--channels", "cost", "--channels", "a", "-o", str(output)])
    assert "2 figure(s), 6 points" in capsys.readouterr().out

    drawn = html_curves(output)
    assert set(drawn) == {"cost", "a"}
    for channel in ("cost", "a"):
        times, values = epoch_values(main_loop.log, channel)
        assert len(times) == 3
        assert drawn[channel][0] == times
        numpy.testing.assert_allclose(drawn[channel][1], values)


def test_blocks_plot_picks_a_run_and_all_channels(tmp_path):
    database = str(tmp_path / "log.sqlite")
    short_run(SQLiteLog(database))
    second = short_run(SQLiteLog(database))
    output = tmp_path / "all.html"
    main([database, "--uuid", second.log.h_uuid, "-o", str(output)])
    drawn = html_curves(output)
    # Every scalar channel, the monitored ones and the main loop's own.
    assert {"cost", "a"} <= set(drawn)
    assert drawn["a"][1] == pytest.approx(epoch_values(second.log, "a")[1])


def test_blocks_plot_from_checkpoint(tmp_path):
    main_loop = short_run(None)
    checkpoint = tmp_path / "checkpoint.tar"
    with open(checkpoint, "wb") as handle:
        dump(main_loop, handle)
    output = tmp_path / "from_checkpoint.html"
    main([str(checkpoint), "--channels", "cost,a", "-o", str(output)])
    drawn = html_curves(output)
    assert drawn["cost"][1] == pytest.approx(epoch_values(main_loop.log, "cost")[1])


@pytest.mark.parametrize(
    "arguments, message",
    [
        (["--channels", "nope"], "no scalar channel nope"),
        (["--uuid", "0" * 32], "has no run"),
    ],
)
def test_blocks_plot_reports_bad_arguments(tmp_path, capsys, arguments, message):
    database = str(tmp_path / "log.sqlite")
    short_run(SQLiteLog(database))
    with pytest.raises(SystemExit):
        main([database, *arguments, "-o", str(tmp_path / "x.html")])
    assert message in capsys.readouterr().err


def test_blocks_plot_rejects_other_files(tmp_path, capsys):
    other = tmp_path / "notes.txt"
    other.write_text("not a log")
    with pytest.raises(SystemExit):
        main([str(other), "-o", str(tmp_path / "x.html")])
    assert "neither an SQLite training log nor a checkpoint" in capsys.readouterr().err
