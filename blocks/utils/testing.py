"""Helpers for test suites of Blocks and of code built on it.

Importing this module imports the engine (through :mod:`blocks.main_loop`),
unlike ``import blocks.utils``; it is meant for tests only.

"""

import io
import logging
import os
import sys
import time
from functools import wraps
from importlib import import_module
from unittest import SkipTest

import fuel
from blocks.algorithms import TrainingAlgorithm
from blocks.config import config
from blocks.main_loop import MainLoop
from fuel.datasets import IterableDataset

__all__ = [
    "MockAlgorithm",
    "MockMainLoop",
    "silence_printing",
    "skip_if_configuration_set",
    "skip_if_not_available",
]


def silence_printing(test):
    """Decorate a test so that it prints nothing and logs only errors.

    While the test runs, standard output goes to a buffer that is thrown
    away and the ``blocks`` logger lets only errors through; both are
    restored afterwards, also when the test fails.

    """

    @wraps(test)
    def wrapper(*args, **kwargs):
        stdout = sys.stdout
        blocks_logger = logging.getLogger("blocks")
        level = blocks_logger.level
        sys.stdout = io.StringIO()
        blocks_logger.setLevel(logging.ERROR)
        try:
            return test(*args, **kwargs)
        finally:
            sys.stdout = stdout
            blocks_logger.setLevel(level)

    return wrapper


def _data_directories():
    try:
        paths = fuel.config.data_path
    except AttributeError:
        # Fuel's ConfigurationError is an AttributeError: no data path set.
        return []
    return [paths] if isinstance(paths, str) else list(paths)


def skip_if_not_available(modules=None, datasets=None, configurations=None):
    """Skip the calling test unless what it needs is there.

    Parameters
    ----------
    modules : list of str, optional
        Modules that must import.
    datasets : list of str, optional
        Files or directories that must exist in Fuel's ``data_path``.
    configurations : list of str, optional
        Blocks configuration options that must be set.

    Raises
    ------
    unittest.SkipTest
        Naming the first thing that is missing.

    """
    for module in modules or []:
        try:
            import_module(module)
        except Exception as error:
            raise SkipTest(f"module {module!r} is not available: {error}") from None
    if datasets:
        directories = _data_directories()
        if not directories:
            raise SkipTest("Fuel's data_path is not set, so no dataset is available")
        for dataset in datasets:
            if not any(os.path.exists(os.path.join(d, dataset)) for d in directories):
                raise SkipTest(f"dataset {dataset!r} is not in {directories}")
    for configuration in configurations or []:
        if not hasattr(config, configuration):
            raise SkipTest(f"the configuration option {configuration!r} is not set")


def skip_if_configuration_set(configuration, value, message=None):
    """Skip the calling test if a configuration option has a given value.

    Parameters
    ----------
    configuration : str
        The name of the Blocks configuration option.
    value : object
        The value for which the test is skipped.
    message : str, optional
        The reason given for the skip.

    Raises
    ------
    unittest.SkipTest
        If ``blocks.config.<configuration> == value``.

    """
    if getattr(config, configuration) == value:
        if message is None:
            message = f"skipped when config.{configuration} is {value!r}"
        raise SkipTest(message)


class MockAlgorithm(TrainingAlgorithm):
    """A training algorithm that only remembers the last batch.

    Parameters
    ----------
    delay_time : float, optional
        Seconds to sleep in each :meth:`process_batch`, to simulate work.

    Attributes
    ----------
    batch : dict
        The last batch processed.

    """

    def __init__(self, delay_time=0):
        self._initialized = False
        self.delay_time = delay_time

    def initialize(self, **kwargs):
        if self._initialized:
            raise RuntimeError("MockAlgorithm.initialize was called twice")
        self._initialized = True

    def process_batch(self, batch):
        self.batch = batch
        time.sleep(self.delay_time)


class MockMainLoop(MainLoop):
    r"""A main loop over the numbers 0 to 9 with a :class:`MockAlgorithm`.

    Wrapped in ``unittest.mock.MagicMock(wraps=MockMainLoop())``, it lets a
    test check which calls an extension makes.

    Parameters
    ----------
    delay_time : float, optional
        Passed to the default :class:`MockAlgorithm`.
    \*\*kwargs
        Passed to :class:`~blocks.main_loop.MainLoop`; ``data_stream`` and
        ``algorithm`` have defaults.

    """

    def __init__(self, delay_time=0, **kwargs):
        if "data_stream" not in kwargs:
            kwargs["data_stream"] = IterableDataset(range(10)).get_example_stream()
        kwargs.setdefault("algorithm", MockAlgorithm(delay_time))
        super().__init__(**kwargs)
