import logging
import os
import subprocess
import sys

import pytest

from fuel import config
from fuel.config_parser import (
    Configuration,
    ConfigurationError,
    float_type,
    multiple_paths,
)


def make_config():
    configuration = Configuration()
    configuration.add_config("data_path", type_=multiple_paths, env_var="TEST_FUEL_DP")
    configuration.add_config("seed", type_=int, default=1, env_var="TEST_FUEL_SEED")
    return configuration


def test_fuel_config_is_the_module_attribute():
    import fuel

    assert fuel.config is config
    assert config.default_seed == 1


def test_default_then_yaml_then_environment_then_assignment(tmp_path, monkeypatch):
    monkeypatch.delenv("TEST_FUEL_SEED", raising=False)
    configuration = make_config()
    assert configuration.seed == 1
    rc = tmp_path / "fuelrc"
    rc.write_text("seed: 2\n")
    configuration.load_yaml(str(rc))
    assert configuration.seed == 2
    monkeypatch.setenv("TEST_FUEL_SEED", "3")
    assert configuration.seed == 3
    configuration.seed = 4
    assert configuration.seed == 4


def test_yaml_file_named_by_fuel_config(tmp_path, monkeypatch):
    rc = tmp_path / "custom.yaml"
    rc.write_text("seed: 7\n")
    monkeypatch.setenv("FUEL_CONFIG", str(rc))
    configuration = make_config()
    configuration.load_yaml()
    assert configuration.seed == 7


def test_unknown_yaml_option_is_ignored_with_a_warning(tmp_path, caplog):
    rc = tmp_path / "fuelrc"
    rc.write_text("server: localhost\nseed: 5\n")
    configuration = make_config()
    with caplog.at_level(logging.WARNING, logger="fuel.config_parser"):
        configuration.load_yaml(str(rc))
    assert configuration.seed == 5
    assert "server" in caplog.text


def test_data_path_splits_on_pathsep(monkeypatch):
    monkeypatch.setenv("TEST_FUEL_DP", os.pathsep.join(["/a", "", "~/b"]))
    assert make_config().data_path == ["/a", os.path.expanduser("~/b")]


def test_unset_option_raises_configuration_error(monkeypatch):
    monkeypatch.delenv("TEST_FUEL_DP", raising=False)
    configuration = make_config()
    with pytest.raises(ConfigurationError, match="TEST_FUEL_DP"):
        configuration.data_path
    assert not hasattr(configuration, "data_path")


def test_unknown_option_is_an_attribute_error():
    with pytest.raises(AttributeError, match="no configuration option 'nope'"):
        make_config().nope


def test_floatx_defaults_to_float64_and_reads_the_environment(monkeypatch):
    assert config.config["floatX"]["default"] == "float64"
    monkeypatch.setenv("FUEL_FLOATX", "float32")
    assert config.floatX == "float32"


def test_floatx_rejects_non_float_types():
    assert float_type("float16") == "float16"
    with pytest.raises(ValueError, match="int32"):
        float_type("int32")


def test_floatx_follows_symbolic_unless_fuel_floatx_is_set(monkeypatch):
    from symbolic.config import change_flags

    monkeypatch.delenv("FUEL_FLOATX", raising=False)
    with change_flags(floatX="float32"):
        assert config.floatX == "float32"
        monkeypatch.setenv("FUEL_FLOATX", "float64")
        assert config.floatX == "float64"


def test_floatx_reads_symbolic_flags_before_symbolic_is_imported(monkeypatch, tmp_path):
    monkeypatch.delenv("FUEL_FLOATX", raising=False)
    # As if symbolic had not been imported: the flags are parsed, not imported.
    monkeypatch.setitem(sys.modules, "symbolic.config", None)
    monkeypatch.setenv("SYMBOLICRC", str(tmp_path / "none"))
    monkeypatch.setenv("SYMBOLIC_FLAGS", "mode=FAST_RUN,floatX=float32")
    assert config.floatX == "float32"
    monkeypatch.setenv("SYMBOLIC_FLAGS", "")
    assert config.floatX == "float64"
    rc = tmp_path / "rc"
    rc.write_text("floatX = float16\n")
    monkeypatch.setenv("SYMBOLICRC", str(rc))
    assert config.floatX == "float16"


def test_importing_fuel_does_not_import_symbolic():
    code = (
        "import sys, fuel.datasets, fuel.streams, fuel.transformers; "
        "print(any(m.startswith('symbolic') for m in sys.modules))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"


def test_a_floatx_mismatch_names_its_cause():
    import numpy

    import symbolic
    from symbolic import tensor
    from symbolic.config import change_flags

    with change_flags(floatX="float32"):
        x = tensor.matrix("features")
        f = symbolic.function([x], x.sum())
        with pytest.raises(TypeError, match=r"config\.floatX is float32.*FUEL_FLOATX"):
            f(numpy.ones((2, 2)))
