import hashlib
import urllib.error

import pytest

from fuel import downloaders
from fuel.bin import fuel_download
from fuel.downloaders.base import NeedURLPrefix, default_downloader, filename_from_url
from tests.helpers.fuel_files import QuietHandler, serve_directory, write_mnist_gz


class Handler(QuietHandler):
    """Serves a directory; ``/named`` answers with a Content-Disposition."""

    named = False

    def end_headers(self):
        if self.named:
            self.send_header("Content-Disposition", 'attachment; filename="given.txt"')
        super().end_headers()

    def do_GET(self):
        if self.path.startswith("/named"):
            self.named = True
            self.path = "/a.txt"
        super().do_GET()


@pytest.fixture
def server(tmp_path):
    """An HTTP server on 127.0.0.1 serving tmp_path/served; yields its URL."""
    served = tmp_path / "served"
    served.mkdir()
    (served / "a.txt").write_bytes(b"first file\n")
    (served / "b.bin").write_bytes(bytes(range(256)) * 10)
    with serve_directory(served, Handler) as url:
        yield url, served


def test_default_downloader_fetches_and_clears(server, tmp_path):
    url, served = server
    target = tmp_path / "out" / "nested"
    default_downloader(str(target), [url + "a.txt", url + "b.bin"], ["a.txt", ""])
    assert (target / "a.txt").read_bytes() == (served / "a.txt").read_bytes()
    assert (target / "b.bin").read_bytes() == (served / "b.bin").read_bytes()
    assert sorted(p.name for p in target.iterdir()) == ["a.txt", "b.bin"]
    default_downloader(
        str(target), [url + "a.txt", url + "b.bin"], ["a.txt", ""], clear=True
    )
    assert list(target.iterdir()) == []


def test_names_come_from_content_disposition(server, tmp_path):
    url, _ = server
    assert filename_from_url(url + "named") == "given.txt"
    assert filename_from_url(url + "b.bin") == "b.bin"
    default_downloader(str(tmp_path), [url + "named"], [""])
    assert (tmp_path / "given.txt").read_bytes() == b"first file\n"


def test_checksums_are_verified(server, tmp_path):
    url, served = server
    good = hashlib.sha256((served / "a.txt").read_bytes()).hexdigest()
    default_downloader(str(tmp_path), [url + "a.txt"], ["a.txt"], checksums=[good])
    assert (tmp_path / "a.txt").exists()
    with pytest.raises(ValueError, match="SHA-256"):
        default_downloader(
            str(tmp_path), [url + "b.bin"], ["b.bin"], checksums=["0" * 64]
        )
    assert not (tmp_path / "b.bin").exists()
    assert not (tmp_path / "b.bin.part").exists()


def test_http_errors_are_not_saved(server, tmp_path):
    url, _ = server
    with pytest.raises(urllib.error.HTTPError):
        default_downloader(str(tmp_path), [url + "missing"], ["missing"])
    assert not (tmp_path / "missing").exists()


def test_url_prefix_completes_missing_urls(server, tmp_path):
    url, _ = server
    with pytest.raises(NeedURLPrefix):
        default_downloader(str(tmp_path), [None], ["a.txt"])
    default_downloader(str(tmp_path), [None], ["a.txt"], url_prefix=url)
    assert (tmp_path / "a.txt").read_bytes() == b"first file\n"


def test_fuel_download_mnist(server, tmp_path, monkeypatch):
    url, served = server
    arrays = write_mnist_gz(served, n_train=3, n_test=2)
    monkeypatch.setattr(downloaders.mnist, "MNIST_BASE_URL", url)
    target = tmp_path / "data"
    assert fuel_download.main(["mnist", "-d", str(target)]) == 0
    names = sorted(p.name for p in target.iterdir())
    assert names == sorted(downloaders.mnist.MNIST_FILES)
    for name in names:
        assert (target / name).read_bytes() == (served / name).read_bytes()
    assert arrays["train"][0].shape == (3, 28, 28)
    fuel_download.main(["mnist", "-d", str(target), "--clear"])
    assert list(target.iterdir()) == []


def test_fuel_download_asks_for_a_url_prefix(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_:
        fuel_download.main(["ilsvrc2012", "-d", str(tmp_path)])
    assert exit_.value.code == 2
    assert "--url-prefix" in capsys.readouterr().err


def test_fuel_download_with_extra_downloaders(server, tmp_path, monkeypatch):
    url, _ = server
    module = type(pytest)("extra_downloaders_for_test")

    def fill_subparser(subparser):
        subparser.set_defaults(urls=[url + "a.txt"], filenames=["a.txt"])
        return default_downloader

    module.all_downloaders = (("mine", fill_subparser),)
    monkeypatch.setitem(__import__("sys").modules, module.__name__, module)
    monkeypatch.setenv("FUEL_EXTRA_DOWNLOADERS", module.__name__)
    fuel_download.main(["mine", "-d", str(tmp_path)])
    assert (tmp_path / "a.txt").exists()
    module.all_downloaders = (("mnist", fill_subparser),)
    with pytest.raises(ValueError, match="built-in"):
        fuel_download.main(["mnist", "-d", str(tmp_path)])


@pytest.mark.parametrize(
    "value, expected",
    [("a.b c.d", ["a.b", "c.d"]), (["x.y"], ["x.y"]), ([], [])],
)
def test_extra_downloader_converter_parses_strings_and_lists(value, expected):
    from fuel.config_parser import extra_downloader_converter

    assert extra_downloader_converter(value) == expected


def test_extra_module_settings_come_from_the_environment(monkeypatch):
    from fuel import config

    monkeypatch.delenv("FUEL_EXTRA_CONVERTERS", raising=False)
    assert config.extra_converters == []
    monkeypatch.setenv("FUEL_EXTRA_CONVERTERS", "one.module two.module")
    assert config.extra_converters == ["one.module", "two.module"]


def test_youtube_audio_clear_and_missing_pafy(tmp_path, monkeypatch):
    import sys

    from fuel.downloaders import youtube_audio

    (tmp_path / "vid.m4a").write_bytes(b"audio")
    fuel_download.main(
        ["youtube_audio", "--youtube-id", "vid", "-d", str(tmp_path), "--clear"]
    )
    assert not (tmp_path / "vid.m4a").exists()
    monkeypatch.setitem(sys.modules, "pafy", None)
    with pytest.raises(ImportError, match="pafy"):
        youtube_audio.download(str(tmp_path), "vid")
