import io
import sys

from fuel._progress import progress_bar


def test_bars_write_to_the_current_stdout(monkeypatch):
    for stream in (io.StringIO(), io.StringIO()):
        monkeypatch.setattr(sys, "stdout", stream)
        with progress_bar("thing", 4, prefix="Converting") as bar:
            bar.update(2)
        assert "Converting thing: " in stream.getvalue()
        assert "100%" in stream.getvalue()


def test_bars_of_unknown_length_count():
    with progress_bar("download", None) as bar:
        bar.update(2048)
    assert bar.value == 2048
