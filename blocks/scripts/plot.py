"""``blocks-plot``: draw the training curves of a finished run.

Usage: ``blocks-plot LOG [--channels A,B --channels C] [-o curves.html]``.

LOG is an SQLite training log (:class:`.SQLiteLog`; its latest run, or the
one given by ``--uuid``) or a checkpoint saved by :class:`.Checkpoint`,
whose main loop's log is read. Each ``--channels`` option is one figure of
the channels it lists, comma-separated; without it every scalar channel
gets a figure of its own. The result is a self-contained HTML file.

Opening a checkpoint unpickles it, and the SQLite log unpickles the records
that are not plain numbers or strings: only open files you trust.

"""

import argparse
import os
import sqlite3
import sys

from blocks.extensions.plot import import_bokeh, read_curves, write_html


def _is_sqlite(path):
    with open(path, "rb") as handle:
        return handle.read(16) == b"SQLite format 3\x00"


def open_log(path, uuid=None):
    """The training log stored in `path`.

    Parameters
    ----------
    path : str
        An SQLite log database or a checkpoint (a tar dump of a main loop).
    uuid : str, optional
        For a database: the hexadecimal UUID of the run; the latest run by
        default.

    Returns
    -------
    mapping
        The log: iterations done -> records.

    Raises
    ------
    ValueError
        When the file is neither, or the database holds no such run.

    """
    if _is_sqlite(path):
        from blocks.log.sqlite import SQLiteLog

        try:
            uuids = SQLiteLog.uuids(path)
        except sqlite3.DatabaseError as exc:
            raise ValueError(f"{path} is no training log database: {exc}") from exc
        if not uuids:
            raise ValueError(f"the log database {path} holds no run")
        if uuid is None:
            uuid = uuids[-1]
        elif uuid not in uuids:
            raise ValueError(
                f"the log database {path} has no run {uuid!r}; its runs are "
                f"{', '.join(uuids)}"
            )
        return SQLiteLog.open(uuid, database=path)
    if uuid is not None:
        raise ValueError(f"--uuid applies to an SQLite log; {path} is not one")
    from blocks.serialization import load

    try:
        with open(path, "rb") as handle:
            main_loop = load(handle)
    except Exception as exc:
        raise ValueError(
            f"{path} is neither an SQLite training log nor a checkpoint that "
            f"blocks.serialization.load can read: {exc}"
        ) from exc
    log = getattr(main_loop, "log", None)
    if log is None:
        raise ValueError(
            f"the checkpoint {path} holds a {type(main_loop).__name__}, not a "
            f"main loop with a log"
        )
    return log


def _figures(channel_options, curves, path):
    if not channel_options:
        if not curves:
            raise ValueError(f"the log in {path} has no scalar channel to plot")
        return [[name] for name in sorted(curves)]
    figures = []
    for option in channel_options:
        names = [name.strip() for name in option.split(",") if name.strip()]
        if not names:
            raise ValueError(f"--channels {option!r} names no channel")
        figures.append(names)
    missing = sorted({n for group in figures for n in group} - set(curves))
    if missing:
        raise ValueError(
            f"the log in {path} has no scalar channel {', '.join(missing)}; "
            f"it has {', '.join(sorted(curves)) or 'none'}"
        )
    return figures


def main(argv=None):
    """Run ``blocks-plot`` with the given arguments.

    Parameters
    ----------
    argv : list of str, optional
        The arguments; ``sys.argv[1:]`` by default.

    Returns
    -------
    int
        The exit status.

    """
    parser = argparse.ArgumentParser(
        prog="blocks-plot",
        description="Draw the training curves of a run, from its SQLite log "
        "or a checkpoint, into a self-contained HTML file.",
    )
    parser.add_argument("log", help="an SQLite log database or a checkpoint")
    parser.add_argument(
        "--channels",
        action="append",
        metavar="A,B",
        help="channels for one figure, comma-separated (repeat for more "
        "figures); every scalar channel by default",
    )
    parser.add_argument("--uuid", help="the run to draw from a log database")
    parser.add_argument(
        "-o",
        "--output",
        default="curves.html",
        help="the HTML file to write (default: curves.html)",
    )
    parser.add_argument("--title", help="the page title (default: the log's file name)")
    args = parser.parse_args(argv)
    if not os.path.isfile(args.log):
        parser.error(f"no log or checkpoint file at {args.log}")
    try:
        import_bokeh()
    except ImportError as exc:
        parser.error(str(exc))
    if "" not in sys.path and os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())  # a checkpoint may need a script's modules
    try:
        log = open_log(args.log, args.uuid)
        wanted = None
        if args.channels:
            wanted = [n.strip() for o in args.channels for n in o.split(",")]
        curves = read_curves(log, wanted)
        figures = _figures(args.channels, curves, args.log)
    except ValueError as exc:
        parser.error(str(exc))
    title = args.title or os.path.basename(args.log)
    write_html(curves, figures, args.output, title)
    points = sum(len(curves[n][0]) for group in figures for n in group)
    print(f"blocks-plot: {len(figures)} figure(s), {points} points -> {args.output}")  # noqa: T201
    return 0


if __name__ == "__main__":
    sys.exit(main())
