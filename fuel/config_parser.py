"""Fuel's configuration: where the data lives, the float type, the default seed.

Each option is declared once with its type, its default and the environment
variable that sets it. A value is looked up, in this order, from

1. an assignment in code (``fuel.config.floatX = 'float32'``);
2. the option's environment variable (``FUEL_DATA_PATH``, ``FUEL_FLOATX``, ...);
3. the YAML file named by ``FUEL_CONFIG``, or ``~/.fuelrc`` when that is unset;
4. the option's default; ``floatX``'s is symbolic's ``config.floatX``.

Environment variables are read at lookup time, so changing one takes effect at
once. The YAML file is read when the package is imported.

Examples
--------
>>> from fuel import config
>>> config.default_seed
1

"""

import configparser
import logging
import os
import sys

import yaml

from fuel.exceptions import ConfigurationError

logger = logging.getLogger(__name__)

NOT_SET = object()

FLOAT_TYPES = ("float16", "float32", "float64")


def multiple_paths(value):
    """Parse a list of directories, given as a list or as one string.

    A string is split on :data:`os.pathsep` (``:`` on Unix), like ``PATH``.
    Empty entries are dropped; ``~`` and ``$VARIABLES`` are expanded.

    Parameters
    ----------
    value : str or list of str
        The directories.

    Returns
    -------
    list of str

    """
    if isinstance(value, str):
        value = value.split(os.pathsep)
    return [os.path.expanduser(os.path.expandvars(str(path))) for path in value if path]


def float_type(value):
    """Check that `value` names a float dtype and return it."""
    value = str(value)
    if value not in FLOAT_TYPES:
        raise ValueError(f"floatX must be one of {FLOAT_TYPES}, got {value!r}")
    return value


def extra_downloader_converter(value):
    """Parse a list of module names, given as a list or as one string.

    A string is split on single spaces, as ``FUEL_EXTRA_DOWNLOADERS`` and
    ``FUEL_EXTRA_CONVERTERS`` hold them; anything else is returned unchanged.

    """
    if isinstance(value, str):
        value = value.split(" ")
    return value


class Configuration:
    """A set of declared options, looked up from code, environment and YAML.

    Options are read and set as attributes. Reading an option that has no
    value anywhere and no default raises :class:`ConfigurationError`.

    """

    def __init__(self):
        self.config = {}

    def add_config(self, key, type_, default=NOT_SET, env_var=None, default_fn=None):
        """Declare an option.

        Parameters
        ----------
        key : str
            The option's name, used as the attribute name.
        type_ : callable
            Converts a raw value (a string from the environment, or whatever
            YAML produced) into the option's value.
        default : object, optional
            The value used when the option is set nowhere. Without it, reading
            an unset option raises :class:`ConfigurationError`.
        env_var : str, optional
            The environment variable that sets the option.
        default_fn : callable, optional
            Computes the default at lookup time, when the option is set
            nowhere; it wins over ``default``.

        """
        setting = {"type": type_}
        if default_fn is not None:
            setting["default_fn"] = default_fn
        if env_var is not None:
            setting["env_var"] = env_var
        if default is not NOT_SET:
            setting["default"] = default
        self.config[key] = setting

    def load_yaml(self, yaml_file=None):
        """Read option values from a YAML file.

        Parameters
        ----------
        yaml_file : str, optional
            The file to read. Defaults to ``$FUEL_CONFIG``, or ``~/.fuelrc``
            when that is unset. A missing file is not an error.

        """
        if yaml_file is None:
            yaml_file = os.environ.get("FUEL_CONFIG", os.path.expanduser("~/.fuelrc"))
        if not os.path.isfile(yaml_file):
            return
        with open(yaml_file) as f:
            values = yaml.safe_load(f) or {}
        if not isinstance(values, dict):
            raise ValueError(
                f"the Fuel configuration file {yaml_file} must hold a mapping "
                f"of option names to values, got {type(values).__name__}"
            )
        for key, value in values.items():
            if key not in self.config:
                # Fuel knew options we do not carry (servers, downloaders);
                # an old ~/.fuelrc that sets them must not stop the import.
                logger.warning("ignoring unknown option %r in %s", key, yaml_file)
                continue
            self.config[key]["yaml"] = value

    def __getattr__(self, key):
        if key == "config" or key not in self.config:
            raise AttributeError(f"Fuel has no configuration option {key!r}")
        setting = self.config[key]
        if "value" in setting:
            value = setting["value"]
        elif "env_var" in setting and setting["env_var"] in os.environ:
            value = os.environ[setting["env_var"]]
        elif "yaml" in setting:
            value = setting["yaml"]
        elif "default_fn" in setting:
            value = setting["default_fn"]()
        elif "default" in setting:
            value = setting["default"]
        else:
            where = "in ~/.fuelrc"
            if "env_var" in setting:
                where = f"with ${setting['env_var']} or {where}"
            raise ConfigurationError(
                f"the Fuel option {key!r} is not set and has no default; set it {where}"
            )
        return setting["type"](value)

    def __setattr__(self, key, value):
        if key != "config" and key in self.config:
            self.config[key]["value"] = value
        else:
            super().__setattr__(key, value)


def symbolic_floatx():
    """The float type of :mod:`symbolic` (``symbolic.config.floatX``).

    Read from the imported configuration when symbolic is loaded; otherwise
    from ``SYMBOLIC_FLAGS`` and the rc file, as symbolic will read them, so
    that importing Fuel does not import symbolic.  ``'float64'`` when
    neither sets it.
    """
    module = sys.modules.get("symbolic.config")
    if module is not None and hasattr(module, "config"):
        return module.config.floatX
    flags = {}
    rc_path = os.environ.get("SYMBOLICRC", os.path.expanduser("~/.symbolicrc"))
    if os.path.isfile(rc_path):
        parser = configparser.ConfigParser()
        with open(rc_path) as handle:
            text = handle.read()
        if not text.lstrip().startswith("["):
            text = "[global]\n" + text
        try:
            parser.read_string(text)
            flags.update(parser.items("global"))
        except (configparser.Error, KeyError):
            pass
    for item in os.environ.get("SYMBOLIC_FLAGS", "").split(","):
        name, _, value = item.partition("=")
        flags[name.strip().lower()] = value.strip()
    return flags.get("floatx") or "float64"


config = Configuration()
config.add_config("data_path", type_=multiple_paths, env_var="FUEL_DATA_PATH")
config.add_config(
    "local_data_path", type_=str, default="", env_var="FUEL_LOCAL_DATA_PATH"
)
config.add_config("default_seed", type_=int, default=1)
config.add_config(
    "floatX",
    type_=float_type,
    default="float64",
    env_var="FUEL_FLOATX",
    default_fn=symbolic_floatx,
)
config.add_config(
    "extra_downloaders",
    type_=extra_downloader_converter,
    default=[],
    env_var="FUEL_EXTRA_DOWNLOADERS",
)
config.add_config(
    "extra_converters",
    type_=extra_downloader_converter,
    default=[],
    env_var="FUEL_EXTRA_CONVERTERS",
)
config.load_yaml()
