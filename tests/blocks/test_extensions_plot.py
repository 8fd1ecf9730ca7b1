"""The Plot extension: live curves in a headless browser, its HTML file, pickles."""

import importlib.util
import json
import sys
import time
import warnings

import numpy
import pytest

import symbolic
from blocks.algorithms import GradientDescent, Scale
from blocks.extensions import FinishAfter, SimpleExtension
from blocks.extensions.monitoring import TrainingDataMonitoring
from blocks.extensions.saveload import Checkpoint
from blocks.main_loop import MainLoop
from blocks.serialization import load
from fuel.datasets import IterableDataset
from fuel.streams import DataStream
from tests.helpers.chromium import HeadlessChromium, find_chromium

# Read the curves a Bokeh page holds: the ColumnDataSources of its document
# (named after the log channels), as BokehJS has them after syncing.
PAGE_CURVES_JS = """
(() => {
  if (typeof Bokeh === 'undefined' || !Bokeh.documents || !Bokeh.documents.length)
    return null;
  const curves = {};
  for (const model of Bokeh.documents[0].all_models) {
    if (!model.name || !model.data) continue;
    const data = model.data;
    const get = (key) => data instanceof Map ? data.get(key) : data[key];
    if (get('iterations') === undefined) continue;
    curves[model.name] = [Array.from(get('iterations')), Array.from(get('value'))];
  }
  return JSON.stringify(curves);
})()
"""

CHANNELS = ["cost", "a"]


def tutorial_problem(points=8):
    """Seed 001's live plotting example: fit x ** a to x ** 2."""
    a = symbolic.shared(3.0)
    a.name = "a"
    x = symbolic.tensor.scalar("data")
    cost = abs(x**2 - x**a)
    cost.name = "cost"
    rng = numpy.random.RandomState(1)
    stream = DataStream(
        IterableDataset(rng.rand(points).astype(symbolic.config.floatX))
    )
    algorithm = GradientDescent(
        cost=cost, parameters=[a], step_rule=Scale(learning_rate=0.1)
    )
    return cost, a, stream, algorithm


def logged_curves(log):
    """The values of CHANNELS in a log, read directly, as the page should have them."""
    curves = {}
    for time_ in sorted(log.keys()):
        for name in CHANNELS:
            if name in log[time_]:
                its, vals = curves.setdefault(name, ([], []))
                its.append(time_)
                vals.append(float(log[time_][name]))
    return curves


def same_curves(page, expected):
    if page is None or set(page) != set(expected):
        return False
    for name, (its, vals) in expected.items():
        page_its, page_vals = page[name]
        if list(page_its) != list(its) or not numpy.allclose(page_vals, vals):
            return False
    return True


def wait_for_page_curves(browser, expected, timeout=60.0):
    """Poll the page until it shows `expected`; return what it showed last."""
    deadline = time.monotonic() + timeout
    page = None
    while time.monotonic() < deadline:
        text = browser.evaluate(PAGE_CURVES_JS)
        page = None if text is None else json.loads(text)
        if same_curves(page, expected):
            return page
        time.sleep(0.1)
    return page


class LookInBrowser(SimpleExtension):
    """After some epochs, checks the live page against the log so far.

    The page is loaded once, at the first check; later checks see points
    the server streamed into it.
    """

    def __init__(self, browser, plot, check_epochs, **kwargs):
        kwargs.setdefault("after_epoch", True)
        super().__init__(**kwargs)
        self.browser = browser
        self.plot = plot
        self.check_epochs = check_epochs
        self.seen = []

    def do(self, which_callback, *args):
        epochs = self.main_loop.status["epochs_done"]
        if epochs not in self.check_epochs:
            return
        if not self.seen:
            self.browser.navigate(self.plot.url)
        expected = logged_curves(self.main_loop.log)
        page = wait_for_page_curves(self.browser, expected)
        self.seen.append((epochs, expected, page))


def skip_loudly(reason):
    """Skip, and have the reason printed in pytest's warnings summary.

    Skip reasons are shown only with ``-rs``; a missing browser should be
    seen in a plain run of the suite.
    """
    warnings.warn(reason, UserWarning, stacklevel=2)
    pytest.skip(reason)


@pytest.fixture
def browser():
    if importlib.util.find_spec("bokeh") is None:
        skip_loudly("the live plot test needs bokeh (the 'plot' extra)")
    binary = find_chromium()
    if binary is None:
        skip_loudly(
            "no chromium binary on PATH (Debian: apt-get install chromium); "
            "the live plot is not checked in a browser"
        )
    chromium = HeadlessChromium(binary)
    yield chromium
    chromium.close()


def test_live_plot_in_browser_then_html_file(browser, tmp_path, capsys):
    from blocks_extras.extensions.plot import Plot

    cost, a, stream, algorithm = tutorial_problem()
    html_file = tmp_path / "curves.html"
    plot = Plot(
        "Plotting example",
        channels=[["cost"], ["a"]],
        start_server=True,
        html_file=str(html_file),
    )
    look = LookInBrowser(browser, plot, check_epochs={1, 3})
    main_loop = MainLoop(
        model=None,
        data_stream=stream,
        algorithm=algorithm,
        extensions=[
            FinishAfter(after_n_epochs=3),
            TrainingDataMonitoring([cost, a], after_epoch=True),
            plot,
            look,
        ],
    )
    try:
        main_loop.run()
        assert f"live plots at {plot.url}" in capsys.readouterr().out
        assert plot.url.startswith("http://127.0.0.1:")

        # The page, loaded after epoch 1, showed the logged values then,
        # and the values of epochs 2 and 3 streamed in without a reload.
        assert [epochs for epochs, _, _ in look.seen] == [1, 3]
        for epochs, expected, page in look.seen:
            assert len(expected["cost"][0]) == epochs
            assert page is not None, "the page never showed a Bokeh document"
            assert same_curves(page, expected), (epochs, page, expected)
    finally:
        plot.stop_server()

    # The HTML file written after training: self-contained, all the curves.
    html = html_file.read_text(encoding="utf-8")
    assert "<script src=" not in html.replace('<script src="data:', "")
    final = logged_curves(main_loop.log)
    browser.navigate(html_file.as_uri())
    page = wait_for_page_curves(browser, final)
    assert same_curves(page, final), (page, final)


def test_plot_pickles_without_its_server(tmp_path):
    pytest.importorskip("bokeh", reason="Plot needs bokeh (the 'plot' extra)")
    from blocks.extensions.plot import Plot

    cost, a, stream, algorithm = tutorial_problem(points=4)
    plot = Plot(
        "pickled",
        channels=[["cost", "a"]],
        start_server=True,
        html_file=str(tmp_path / "first.html"),
    )
    path = tmp_path / "checkpoint.tar"
    main_loop = MainLoop(
        model=None,
        data_stream=stream,
        algorithm=algorithm,
        extensions=[
            FinishAfter(after_n_epochs=2),
            TrainingDataMonitoring([cost, a], after_epoch=True),
            plot,
            # Saved after every epoch, while the server runs.
            Checkpoint(str(path), after_epoch=True),
        ],
    )
    try:
        main_loop.run()
        assert plot.url is not None
    finally:
        plot.stop_server()
    with open(path, "rb") as handle:
        restored = load(handle)
    [restored_plot] = [e for e in restored.extensions if isinstance(e, Plot)]
    assert restored_plot.url is None and restored_plot._thread is None
    assert restored_plot.curves == plot.curves
    assert len(restored_plot.curves["cost"][0]) == 2
    # A resumed run collects on and serves again from a new server.
    try:
        restored_plot.main_loop = restored
        restored_plot.do("after_epoch")
        assert len(restored_plot.curves["cost"][0]) == 2  # same iteration: no new point
        assert restored_plot.url.startswith("http://127.0.0.1:")
        assert restored_plot._thread is not None
    finally:
        restored_plot.stop_server()


def test_plot_without_server_writes_html(tmp_path, monkeypatch):
    pytest.importorskip("bokeh", reason="Plot needs bokeh (the 'plot' extra)")
    from blocks_extras.extensions.plot import Plot

    monkeypatch.chdir(tmp_path)
    cost, a, stream, algorithm = tutorial_problem(points=3)
    plot = Plot("Plotting example", channels=[["cost"], ["a"]], after_batch=True)
    MainLoop(
        model=None,
        data_stream=stream,
        algorithm=algorithm,
        extensions=[
            FinishAfter(after_n_epochs=1),
            TrainingDataMonitoring([cost, a], after_batch=True),
            plot,
        ],
    ).run()
    assert plot.url is None
    assert len(plot.curves["a"][0]) == 3
    html = (tmp_path / "Plotting_example.html").read_text(encoding="utf-8")
    assert "Plotting example" in html


def test_plot_needs_bokeh(monkeypatch):
    from blocks.extensions import plot as plot_module

    monkeypatch.setitem(sys.modules, "bokeh", None)
    with pytest.raises(ImportError, match=r"\[plot\]"):
        plot_module.Plot("doc", channels=[["cost"]])


@pytest.mark.parametrize("channels", ["cost", ["cost"], [[]], [[1]]])
def test_plot_channels_must_be_lists_of_names(channels):
    from blocks.extensions.plot import check_channels

    with pytest.raises(ValueError, match="channel"):
        check_channels(channels)


def test_live_plot_pushed_to_a_running_server(browser):
    from blocks.extensions.plot import Plot

    # A running Bokeh server: another Plot's, serving its own empty figure.
    host = Plot("host", channels=[["unused"]], start_server=True, html_file=False)
    host.serve()
    try:
        cost, a, stream, algorithm = tutorial_problem(points=4)
        pushed = Plot(
            "pushed run",
            channels=[["cost", "a"]],
            server_url=host.url,
            html_file=False,
        )
        look = LookInBrowser(browser, pushed, check_epochs={1, 3})
        main_loop = MainLoop(
            model=None,
            data_stream=stream,
            algorithm=algorithm,
            extensions=[
                FinishAfter(after_n_epochs=3),
                TrainingDataMonitoring([cost, a], after_epoch=True),
                pushed,
                look,
            ],
        )
        main_loop.run()
        assert pushed.url.startswith(host.url)
        assert "bokeh-session-id=pushed_run" in pushed.url
        assert [epochs for epochs, _, _ in look.seen] == [1, 3]
        for _, expected, page in look.seen:
            assert same_curves(page, expected), (page, expected)
        pushed.stop_server()
    finally:
        host.stop_server()


def test_plot_warns_about_channels_never_logged(tmp_path, caplog):
    pytest.importorskip("bokeh", reason="Plot needs bokeh (the 'plot' extra)")
    from blocks.extensions.plot import Plot

    cost, _, stream, algorithm = tutorial_problem(points=2)
    plot = Plot("typo", channels=[["cots"]], html_file=str(tmp_path / "t.html"))
    MainLoop(
        model=None,
        data_stream=stream,
        algorithm=algorithm,
        extensions=[
            FinishAfter(after_n_epochs=1),
            TrainingDataMonitoring([cost], after_epoch=True),
            plot,
        ],
    ).run()
    assert "never had a value for cots" in caplog.text
    assert "cost" in caplog.text  # the channels the log does have


class StopServer(SimpleExtension):
    """Stops another Plot's server after the first epoch."""

    def __init__(self, host, **kwargs):
        kwargs.setdefault("after_n_epochs", 1)
        super().__init__(**kwargs)
        self.host = host

    def do(self, which_callback, *args):
        self.host.stop_server()


def test_training_goes_on_when_the_pushed_server_goes(tmp_path, caplog):
    pytest.importorskip("bokeh", reason="Plot needs bokeh (the 'plot' extra)")
    from blocks.extensions.plot import Plot

    host = Plot("host", channels=[["unused"]], start_server=True, html_file=False)
    host.serve()
    cost, _, stream, algorithm = tutorial_problem(points=2)
    pushed = Plot(
        "pushed",
        channels=[["cost"]],
        server_url=host.url,
        html_file=str(tmp_path / "pushed.html"),
    )
    try:
        MainLoop(
            model=None,
            data_stream=stream,
            algorithm=algorithm,
            extensions=[
                FinishAfter(after_n_epochs=3),
                TrainingDataMonitoring([cost], after_epoch=True),
                pushed,
                StopServer(host),
            ],
        ).run()
    finally:
        host.stop_server()
    assert "the live plots stop here" in caplog.text
    assert len(pushed.curves["cost"][0]) == 3
    assert (tmp_path / "pushed.html").exists()
