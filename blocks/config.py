"""Blocks' module-wide settings, read from YAML and the environment.

A setting is looked up, in this order, from

1. an assignment at run time (``config.default_seed = 3``);
2. its environment variable, for the settings that have one
   (``BLOCKS_PROFILE``, ``BLOCKS_SQLITEDB``, ``BLOCKS_TEMPDIR``);
3. the YAML file named by ``$BLOCKS_CONFIG``, or ``~/.blocksrc``;
4. its default.

Every value goes through the setting's type before it is returned. Reading a
setting that is set nowhere and has no default raises
:class:`ConfigurationError`. The YAML file is read once, on import.

Examples
--------
>>> from blocks.config import config
>>> print(config.default_seed)
1

"""

import logging
import os

import yaml

logger = logging.getLogger(__name__)

NOT_SET = object()


class ConfigurationError(Exception):
    """Error raised when a configuration value is requested but not set."""


def bool_(val):
    """Convert a setting to a boolean; the string ``'False'`` means False.

    Parameters
    ----------
    val : object
        A boolean, or a string as read from the environment.

    Returns
    -------
    bool

    """
    if isinstance(val, str) and val.strip().lower() in ("false", "0", "no", ""):
        return False
    return bool(val)


def str_or_none(val):
    """Convert a setting to a string, letting None pass through.

    Parameters
    ----------
    val : object or None

    Returns
    -------
    str or None

    """
    return None if val is None else str(val)


class Configuration:
    """The registry of Blocks settings.

    Settings are declared with :meth:`add_config` and read and written as
    attributes.

    """

    def __init__(self):
        self.config = {}

    def load_yaml(self):
        """Read setting values from ``$BLOCKS_CONFIG`` or ``~/.blocksrc``.

        A missing file is not an error. A key that names no declared
        setting raises ValueError.

        """
        yaml_file = os.environ.get("BLOCKS_CONFIG", os.path.expanduser("~/.blocksrc"))
        if not os.path.isfile(yaml_file):
            return
        with open(yaml_file) as f:
            values = yaml.safe_load(f) or {}
        if not isinstance(values, dict):
            raise ValueError(
                f"the Blocks configuration file {yaml_file} must hold a "
                f"mapping of setting names to values, got {type(values).__name__}"
            )
        for key, value in values.items():
            if key not in self.config:
                raise ValueError(
                    f"unknown setting {key!r} in the Blocks configuration file "
                    f"{yaml_file}; known settings: {', '.join(sorted(self.config))}"
                )
            self.config[key]["yaml"] = value

    def __getattr__(self, key):
        if key == "config" or key not in self.config:
            raise AttributeError(f"Blocks has no setting {key!r}")
        setting = self.config[key]
        if "value" in setting:
            value = setting["value"]
        elif setting["env_var"] is not None and setting["env_var"] in os.environ:
            value = os.environ[setting["env_var"]]
        elif "yaml" in setting:
            value = setting["yaml"]
        elif setting["default"] is not NOT_SET:
            value = setting["default"]
        else:
            where = "in ~/.blocksrc (or the file named by $BLOCKS_CONFIG)"
            if setting["env_var"] is not None:
                where = f"with ${setting['env_var']} or {where}"
            raise ConfigurationError(
                f"the Blocks setting {key!r} is not set and has no default; "
                f"set it {where}"
            )
        return setting["type"](value)

    def __setattr__(self, key, value):
        if key != "config" and key in self.config:
            self.config[key]["value"] = value
        else:
            super().__setattr__(key, value)

    def add_config(self, key, type_, default=NOT_SET, env_var=None):
        """Declare a setting.

        Parameters
        ----------
        key : str
            The name of the setting; it becomes an attribute of the
            configuration.
        type_ : callable
            Converts a raw value (a string from the environment, or what
            YAML produced) into the setting's value.
        default : object, optional
            The value used when the setting is set nowhere. Without one,
            reading the unset setting raises :class:`ConfigurationError`.
        env_var : str, optional
            The environment variable that overrides the YAML file.

        """
        self.config[key] = {"type": type_, "default": default, "env_var": env_var}


config = Configuration()
config.add_config("default_seed", type_=int, default=1)
config.add_config("recursion_limit", type_=int, default=10000)
config.add_config("profile", type_=bool_, default=False, env_var="BLOCKS_PROFILE")
config.add_config("log_backend", type_=str, default="python")
config.add_config(
    "sqlite_database",
    type_=str,
    default=os.path.expanduser("~/blocks_log.sqlite"),
    env_var="BLOCKS_SQLITEDB",
)
config.add_config("max_blob_size", type_=int, default=4096)
config.add_config("temp_dir", type_=str_or_none, default=None, env_var="BLOCKS_TEMPDIR")
config.load_yaml()
