import os

import pytest

from blocks.config import Configuration, ConfigurationError, bool_, str_or_none


def make_config(tmp_path, monkeypatch, yaml_text=None):
    config_file = tmp_path / "blocksrc"
    if yaml_text is not None:
        config_file.write_text(yaml_text)
    monkeypatch.setenv("BLOCKS_CONFIG", str(config_file))
    config = Configuration()
    config.add_config("data_path", type_=str, env_var="BLOCKS_DATA_PATH")
    config.add_config("config_with_default", type_=int, default="1", env_var="BLOCKS_X")
    config.add_config("config_without_default", type_=str)
    config.load_yaml()
    return config


def test_precedence(tmp_path, monkeypatch):
    monkeypatch.delenv("BLOCKS_DATA_PATH", raising=False)
    monkeypatch.delenv("BLOCKS_X", raising=False)
    config = make_config(tmp_path, monkeypatch, "data_path: yaml_path\n")
    assert config.data_path == "yaml_path"
    monkeypatch.setenv("BLOCKS_DATA_PATH", "env_path")
    assert config.data_path == "env_path"
    config.data_path = "set_path"
    assert config.data_path == "set_path"
    assert config.config_with_default == 1
    monkeypatch.setenv("BLOCKS_X", "2")
    assert config.config_with_default == 2


def test_unset_without_default(tmp_path, monkeypatch):
    config = make_config(tmp_path, monkeypatch)
    with pytest.raises(ConfigurationError, match="config_without_default"):
        config.config_without_default
    with pytest.raises(AttributeError, match="no setting"):
        config.not_declared


def test_unknown_yaml_key(tmp_path, monkeypatch):
    with pytest.raises(ValueError, match="unknown setting 'bogus'"):
        make_config(tmp_path, monkeypatch, "bogus: 1\n")


def test_converters():
    assert bool_("False") is False
    assert bool_("True") is True
    assert bool_(True) is True
    assert str_or_none(None) is None
    assert str_or_none(3) == "3"


def test_default_settings():
    from blocks.config import config

    assert config.default_seed == 1
    assert config.recursion_limit == 10000
    assert config.log_backend == "python"
    assert config.max_blob_size == 4096
    assert isinstance(config.profile, bool)
    assert config.sqlite_database.endswith("blocks_log.sqlite") or (
        "BLOCKS_SQLITEDB" in os.environ
    )


def test_example_file_loads(monkeypatch):
    example = os.path.join(os.path.dirname(__file__), "..", "..", ".blocksrc.example")
    monkeypatch.setenv("BLOCKS_CONFIG", example)
    from blocks.config import config as global_config

    config = Configuration()
    config.config = {key: dict(value) for key, value in global_config.config.items()}
    for setting in config.config.values():
        setting.pop("yaml", None)
        setting.pop("value", None)
    config.load_yaml()
    assert config.default_seed == 1
    assert config.log_backend == "python"
