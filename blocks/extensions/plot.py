"""Live plots of training curves in a browser, drawn with Bokeh.

:class:`Plot` follows chosen channels of the training log. It can serve
the curves live from a Bokeh server that it starts on 127.0.0.1, or push
them to a Bokeh server already running, and it writes a self-contained
HTML file of the curves when training ends. Bokeh is an optional
dependency: ``pip install 'symbolic-blocks[plot]'``.

The functions :func:`read_curves` and :func:`write_html` draw a finished
run from its log; ``blocks-plot`` uses them.

"""

import asyncio
import logging
import numbers
import re
import threading
import webbrowser

import numpy

from blocks.extensions import SimpleExtension

logger = logging.getLogger(__name__)

# How often (milliseconds) a browser's document picks up new points.
REFRESH_MS = 250


def import_bokeh():
    """Import Bokeh, or say how to install it.

    Returns
    -------
    module
        The ``bokeh`` package.

    Raises
    ------
    ImportError
        When Bokeh is not installed; the message names the ``plot`` extra.

    """
    try:
        import bokeh
    except ImportError as exc:
        raise ImportError(
            "plotting training curves needs Bokeh, an optional dependency: "
            "install the 'plot' extra (pip install 'symbolic-blocks[plot]') "
            "or Bokeh itself (pip install bokeh)"
        ) from exc
    return bokeh


def check_channels(channels):
    """Check that `channels` is a list of lists of channel names.

    Parameters
    ----------
    channels : list of list of str
        One inner list per figure.

    Returns
    -------
    list of list of str
        A copy, with tuples made lists.

    Raises
    ------
    ValueError
        When `channels` has another shape.

    """
    if isinstance(channels, str) or not isinstance(channels, (list, tuple)):
        raise ValueError(
            f"channels must be a list of lists of log channel names, one inner "
            f"list per figure (e.g. [['cost'], ['a']]); got {channels!r}"
        )
    figures = []
    for group in channels:
        if isinstance(group, str) or not isinstance(group, (list, tuple)):
            raise ValueError(
                f"channels must be a list of lists of log channel names; the "
                f"entry {group!r} is not a list (write [[{group!r}]] for one "
                f"figure of that channel)"
            )
        if not group or not all(isinstance(name, str) for name in group):
            raise ValueError(
                f"each figure in channels must list one or more channel names "
                f"(str); got {group!r}"
            )
        figures.append(list(group))
    return figures


def as_number(value):
    """The value of a log record as a float, or None when it is no scalar.

    Parameters
    ----------
    value : object
        A record of the training log.

    Returns
    -------
    float or None

    """
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, numbers.Real):
        return float(value)
    if isinstance(value, (numpy.ndarray, numpy.generic)) and numpy.ndim(value) == 0:
        if numpy.asarray(value).dtype.kind in "biuf":
            return float(value)
    return None


def slug(name):
    """A file-name and URL friendly version of a document name."""
    text = re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("_.")
    return text or "plot"


def read_curves(log, channels=None):
    """Collect the scalar channels of a training log as curves.

    Parameters
    ----------
    log : mapping
        A training log: iterations done -> a mapping of records.
    channels : list of str, optional
        The channels to read; all the scalar ones by default (keys that
        start with an underscore are skipped).

    Returns
    -------
    dict
        ``{channel: (iterations, values)}`` with two lists each, in
        increasing iterations. Channels never found are left out.

    Examples
    --------
    >>> log = {0: {'cost': 2.0}, 5: {'cost': numpy.float32(0.5), 'note': 'x'}}
    >>> read_curves(log)
    {'cost': ([0, 5], [2.0, 0.5])}


    """
    wanted = None if channels is None else set(channels)
    curves = {}
    for time in sorted(log.keys()):
        row = log[time]
        for key, value in row.items():
            if wanted is None and (not isinstance(key, str) or key.startswith("_")):
                continue
            if wanted is not None and key not in wanted:
                continue
            number = as_number(value)
            if number is None:
                continue
            iterations, values = curves.setdefault(key, ([], []))
            iterations.append(int(time))
            values.append(number)
    return curves


def _palette(size):
    from bokeh.palettes import Category10_10

    return [Category10_10[i % len(Category10_10)] for i in range(size)]


def build_figures(curves, channels, sources=None):
    """Bokeh figures of curves, one figure per group of channels.

    Parameters
    ----------
    curves : dict
        ``{channel: (iterations, values)}``.
    channels : list of list of str
        One inner list of channels per figure.
    sources : dict, optional
        Filled with the :class:`~bokeh.models.ColumnDataSource` of each
        channel (named after it), for later updates.

    Returns
    -------
    :class:`bokeh.models.Column`
        The figures, one above the other.

    """
    from bokeh.layouts import column
    from bokeh.models import ColumnDataSource
    from bokeh.plotting import figure

    if sources is None:
        sources = {}
    figures = []
    for group in channels:
        fig = figure(
            title=", ".join(group),
            x_axis_label="iterations",
            width=800,
            height=300,
            tools="pan,wheel_zoom,box_zoom,reset,save,hover",
        )
        for channel, color in zip(group, _palette(len(group))):
            if channel not in sources:
                iterations, values = curves.get(channel, ([], []))
                sources[channel] = ColumnDataSource(
                    data={"iterations": list(iterations), "value": list(values)},
                    name=channel,
                )
            source = sources[channel]
            fig.line(
                "iterations", "value", source=source, color=color, legend_label=channel
            )
            fig.scatter(
                "iterations",
                "value",
                source=source,
                color=color,
                size=4,
                legend_label=channel,
            )
        fig.legend.location = "top_right"
        fig.legend.click_policy = "hide"
        figures.append(fig)
    return column(*figures)


def write_html(curves, channels, path, title):
    """Write a self-contained HTML file of curves (Bokeh's JS inlined).

    Parameters
    ----------
    curves : dict
        ``{channel: (iterations, values)}``.
    channels : list of list of str
        One inner list of channels per figure.
    path : str
        The file to write.
    title : str
        The page title.

    """
    from bokeh.embed import file_html
    from bokeh.resources import INLINE

    html = file_html(build_figures(curves, channels), INLINE, title=title)
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(html)


class Plot(SimpleExtension):
    r"""Plot channels of the training log, live in a browser.

    Each call appends the current value of every chosen channel to its
    curve. The curves are served live when a Bokeh server is started or
    given, and written to a self-contained HTML file after training.

    Parameters
    ----------
    document : str
        The name of the plots: the page title, the Bokeh session id on an
        existing server and, by default, the name of the HTML file.
    channels : list of list of str
        The log channels to plot, one inner list per figure: ``[['cost'],
        ['a']]`` draws two figures, ``[['cost', 'a']]`` one.
    open_browser : bool, optional
        Open the live plots in a web browser when they are first served.
    start_server : bool, optional
        Start a Bokeh server on 127.0.0.1 in a background thread and serve
        the curves from it; its address is printed and kept in :attr:`url`.
        The server keeps running after training, until :meth:`stop_server`
        or the end of the process.
    server_url : str, optional
        The address of a running Bokeh server (``bokeh serve``) to push
        the curves to, as session `document`. Without it and without
        `start_server` nothing is served live.
    port : int, optional
        The port of the server started by `start_server`; a free one by
        default.
    html_file : str, optional
        Where to write the HTML file of the curves after training;
        ``<document>.html`` by default. Pass False to write none.
    \*\*kwargs
        Trigger keywords, as for :class:`.SimpleExtension`. Defaults:
        ``before_first_epoch``, ``after_epoch`` and ``after_training``.

    Attributes
    ----------
    url : str or None
        Where the live plots are served, once they are.
    curves : dict
        ``{channel: (iterations, values)}``: the points collected.

    Notes
    -----
    The extension pickles with the main loop (for :class:`.Checkpoint`)
    without its server or Bokeh documents; a resumed main loop starts or
    connects to a server again, with the points collected so far.

    """

    def __init__(
        self,
        document,
        channels,
        open_browser=False,
        start_server=False,
        server_url=None,
        port=0,
        html_file=None,
        **kwargs,
    ):
        import_bokeh()
        if not isinstance(document, str):
            raise ValueError(
                f"document must be a str (the plots' name); got {document!r}"
            )
        if start_server and server_url:
            raise ValueError(
                "Plot: give start_server=True (serve from a new server) or "
                f"server_url (push to a running one), not both; got "
                f"server_url={server_url!r}"
            )
        kwargs.setdefault("before_first_epoch", True)
        kwargs.setdefault("after_epoch", True)
        kwargs.setdefault("after_training", True)
        super().__init__(**kwargs)
        self.document = document
        self.channels = check_channels(channels)
        self.open_browser = open_browser
        self.start_server = start_server
        self.server_url = server_url
        self.port = port
        self.html_file = f"{slug(document)}.html" if html_file is None else html_file
        self.curves = {name: ([], []) for group in self.channels for name in group}
        self._skipped = set()
        self._told_not_served = False
        self._init_live()

    def _init_live(self):
        self._lock = threading.Lock()
        self._server = None
        self._thread = None
        self._io_loop = None
        self._session = None
        self._pushed_sources = None
        self._pushed_counts = None
        self._push_lost = False
        self.url = None

    def __getstate__(self):
        state = dict(self.__dict__)
        for key in (
            "_lock",
            "_server",
            "_thread",
            "_io_loop",
            "_session",
            "_pushed_sources",
            "_pushed_counts",
            "_push_lost",
            "url",
        ):
            state.pop(key, None)
        with self._lock:
            state["curves"] = {
                name: (list(its), list(vals))
                for name, (its, vals) in self.curves.items()
            }
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)
        self._init_live()

    # Collecting points

    def do(self, which_callback, *args):
        log = self.main_loop.log
        time = log.status["iterations_done"]
        row = log[time]
        with self._lock:
            for channel, (iterations, values) in self.curves.items():
                if channel not in row:
                    continue
                number = as_number(row[channel])
                if number is None:
                    if channel not in self._skipped:
                        self._skipped.add(channel)
                        logger.warning(
                            f"Plot {self.document!r}: the log channel "
                            f"{channel!r} holds {type(row[channel]).__name__} "
                            f"values, not scalars; it is not plotted"
                        )
                    continue
                # One point per iteration, even when several triggers fire
                # in it: browsers only receive points appended since.
                if not iterations or iterations[-1] < time:
                    iterations.append(time)
                    values.append(number)
        self.serve()
        if which_callback == "after_training":
            self._warn_about_empty_curves(row)
            if self.html_file:
                self.write_html(self.html_file)

    def _warn_about_empty_curves(self, row):
        empty = sorted(name for name, (its, _) in self.snapshot().items() if not its)
        if empty:
            logger.warning(
                f"Plot {self.document!r}: the log never had a value for "
                f"{', '.join(empty)}; the last row has "
                f"{', '.join(sorted(map(str, row))) or 'no record'}"
            )

    def snapshot(self):
        """A copy of the curves collected so far (thread-safe).

        Returns
        -------
        dict
            ``{channel: (iterations, values)}``.

        """
        with self._lock:
            return {
                name: (list(its), list(vals))
                for name, (its, vals) in self.curves.items()
            }

    def write_html(self, path):
        """Write a self-contained HTML file of the curves collected so far.

        Parameters
        ----------
        path : str
            The file to write.

        """
        write_html(self.snapshot(), self.channels, path, self.document)
        logger.info(f"Plot {self.document!r}: curves written to {path}")

    # Serving live

    def serve(self):
        """Serve the curves live now, as `start_server` or `server_url` say.

        Called at every trigger; call it earlier to have :attr:`url` before
        training starts. A started server streams new points to browsers
        by itself; with `server_url`, each call pushes the points collected
        since the previous one.

        """
        if self.start_server:
            if self._thread is None:
                self._start_server()
        elif self.server_url:
            if not self._push_lost:
                self._push()
        elif not self._told_not_served:
            self._told_not_served = True
            logger.info(
                f"Plot {self.document!r}: not served live (pass "
                f"start_server=True or server_url); the curves go to "
                f"{self.html_file or 'no file (html_file=False)'} after training"
            )

    def _start_server(self):
        ready = threading.Event()
        failure = []
        self._thread = threading.Thread(
            target=self._run_server,
            args=(ready, failure),
            name=f"bokeh server for {self.document}",
            daemon=True,
        )
        self._thread.start()
        ready.wait()
        if failure:
            self._thread = None
            raise RuntimeError(
                f"Plot {self.document!r} could not start a Bokeh server on "
                f"127.0.0.1:{self.port}: {failure[0]}"
            ) from failure[0]
        self._announce()

    def _run_server(self, ready, failure):
        from bokeh.application import Application
        from bokeh.application.handlers.function import FunctionHandler
        from bokeh.server.server import Server
        from tornado.ioloop import IOLoop

        asyncio.set_event_loop(asyncio.new_event_loop())
        try:
            self._io_loop = IOLoop.current()
            port = self.port or _free_port()
            self._server = Server(
                {"/": Application(FunctionHandler(self._make_document))},
                io_loop=self._io_loop,
                address="127.0.0.1",
                port=port,
                allow_websocket_origin=[f"127.0.0.1:{port}", f"localhost:{port}"],
            )
            self._server.start()
            self.url = f"http://127.0.0.1:{self._server.port}/"
        except Exception as exc:  # reported by the thread that asked
            failure.append(exc)
            ready.set()
            return
        ready.set()
        io_loop = self._io_loop
        io_loop.start()
        # Closing every socket, browsers' and push sessions' too, tells
        # clients the server is gone rather than leave them waiting.
        io_loop.close(all_fds=True)

    def _make_document(self, doc):
        """Fill the Bokeh document of a new browser session."""
        sources = {}
        sent = {}
        curves = self.snapshot()
        doc.add_root(build_figures(curves, self.channels, sources))
        doc.title = self.document
        for name, (iterations, _) in curves.items():
            sent[name] = len(iterations)

        def update():
            for name, (iterations, values) in self.snapshot().items():
                start = sent.get(name, 0)
                if len(iterations) > start:
                    sources[name].stream(
                        {"iterations": iterations[start:], "value": values[start:]}
                    )
                    sent[name] = len(iterations)

        doc.add_periodic_callback(update, REFRESH_MS)

    def _push(self):
        from bokeh.client import push_session
        from bokeh.document import Document

        curves = self.snapshot()
        if self._session is None:
            document = Document(title=self.document)
            self._pushed_sources = {}
            document.add_root(
                build_figures(curves, self.channels, self._pushed_sources)
            )
            self._pushed_counts = {n: len(its) for n, (its, _) in curves.items()}
            try:
                self._session = push_session(
                    document, session_id=slug(self.document), url=self.server_url
                )
            except Exception as exc:
                raise RuntimeError(
                    f"Plot {self.document!r} could not reach the Bokeh server "
                    f"at {self.server_url!r} (start one with `bokeh serve`, or "
                    f"pass start_server=True): {exc}"
                ) from exc
            self.url = (
                f"{self.server_url.rstrip('/')}/?bokeh-session-id={slug(self.document)}"
            )
            self._announce()
            return
        try:
            for name, (iterations, values) in curves.items():
                start = self._pushed_counts.get(name, 0)
                if len(iterations) > start:
                    self._pushed_sources[name].stream(
                        {"iterations": iterations[start:], "value": values[start:]}
                    )
                    self._pushed_counts[name] = len(iterations)
            # The session queues the changes on its own event loop, which
            # runs only while it waits for the server: a round trip sends them.
            self._session.force_roundtrip()
        except Exception as exc:
            # A server gone mid-run must not stop training; the HTML file
            # still gets every point.
            logger.warning(
                f"Plot {self.document!r}: pushing to {self.server_url!r} "
                f"failed ({exc}); the live plots stop here"
            )
            self._push_lost = True
            self._session = None

    def _announce(self):
        # Printed, not logged: the address is what the user came for.
        print(f"Plot {self.document!r}: live plots at {self.url}", flush=True)  # noqa: T201
        if self.open_browser:
            webbrowser.open(self.url)

    def stop_server(self):
        """Stop the Bokeh server this extension started, or its push session."""
        if self._session is not None:
            self._session.close()
            self._session = None
        if self._thread is None:
            return
        io_loop, server, thread = self._io_loop, self._server, self._thread

        def stop():
            server.stop()
            io_loop.stop()

        io_loop.add_callback(stop)
        thread.join(timeout=10)
        self._thread = self._server = self._io_loop = None
        self.url = None


def _free_port():
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
