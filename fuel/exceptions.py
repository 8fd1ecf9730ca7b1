"""The exceptions Fuel raises that user code may want to catch."""


class AxisLabelsMismatchError(ValueError):
    """A stream's axis labels differ from what a transformer expects."""


class ConfigurationError(AttributeError):
    """A configuration option was read that has no value and no default.

    Upstream Fuel derives it from Exception. Deriving it from AttributeError
    keeps ``hasattr(fuel.config, 'data_path')`` answering False while the data
    path is unset (Python 3's ``hasattr`` only swallows AttributeError); a
    handler written for Exception still catches it.

    """


class MissingInputFiles(Exception):
    """A converter's input files are missing.

    Parameters
    ----------
    message : str
        What went wrong.
    filenames : list of str
        The files that are missing.

    """

    def __init__(self, message, filenames):
        self.filenames = filenames
        super().__init__(message, filenames)


class NeedURLPrefix(Exception):
    """A file to download has no URL and no URL prefix was given."""
