"""symbolic.config: declared flags, SYMBOLIC_FLAGS, ~/.symbolicrc and change_flags."""

import os
import subprocess
import sys

import pytest

import symbolic
from symbolic.config import ConfigError, change_flags, config, parse_flags


def _read_flag(name, env):
    root = os.path.dirname(os.path.dirname(symbolic.__file__))
    full_env = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": root, **env}
    out = subprocess.run(
        [sys.executable, "-c", f"import symbolic; print(symbolic.config.{name})"],
        capture_output=True,
        text=True,
        env=full_env,
    )
    return out


def test_defaults():
    assert config.floatX in ("float64", "float32")
    assert config.on_unused_input == "raise"
    assert config.compute_test_value == "off"


def test_environment_flags_and_rc_file(tmp_path):
    assert (
        _read_flag("floatX", {"SYMBOLIC_FLAGS": "floatX=float32"}).stdout.strip()
        == "float32"
    )
    rc = tmp_path / "rc"
    rc.write_text("[global]\nfloatX = float32\noptimizer = fast_compile\n")
    env = {"SYMBOLICRC": str(rc)}
    assert _read_flag("optimizer", env).stdout.strip() == "fast_compile"
    both = {"SYMBOLICRC": str(rc), "SYMBOLIC_FLAGS": "optimizer=None"}
    assert _read_flag("optimizer", both).stdout.strip() == "None"
    bad = _read_flag("floatX", {"SYMBOLIC_FLAGS": "floatX=float8"})
    assert bad.returncode != 0 and "floatX" in bad.stderr


def test_parse_flags():
    assert parse_flags("a=1, b=c") == {"a": "1", "b": "c"}
    with pytest.raises(ConfigError):
        parse_flags("novalue")


def test_change_flags_restores():
    before = config.floatX
    with change_flags(floatX="float32"):
        assert config.floatX == "float32"
    assert config.floatX == before

    @change_flags(on_unused_input="ignore")
    def inner():
        return config.on_unused_input

    assert inner() == "ignore"
    with pytest.raises(ConfigError):
        config.floatX = "float8"
    with pytest.raises(ConfigError):
        config.no_such_flag = 1


def test_warn_section_is_accepted_and_readable():
    from symbolic.config import change_flags, config

    assert config.warn.sum_div_dimshuffle_bug is False
    assert config.warn.ignore_bug_before == "0.9"
    with change_flags(**{"warn.round": True}):
        assert config.warn.round is True
        assert config.warn__round is True
    assert config.warn.round is False
    assert "round" in dir(config.warn)
    import pytest

    with pytest.raises(AttributeError, match="warn__nonexistent"):
        config.warn.nonexistent
