"""Compile modes: which rewrites run and which linker executes the graph."""

import importlib
import logging
import re

from symbolic.config import config
from symbolic.rewriting.pipeline import LEVELS
from symbolic.utils.linkers import (
    LINKER_NAMES,
    linker_names,
    register_linker,  # noqa: F401  (Theano's path)
)

_logger = logging.getLogger(__name__)

#: The linker names ``Mode`` accepts: a live view of the one registry
#: (:mod:`symbolic.utils.linkers`), which config and ``get_linker`` read too.
predefined_linkers = LINKER_NAMES

#: ``{optimizer name: rewrite phases it runs}``: the pipeline's levels, plus
#: None (no rewrites at all).
predefined_optimizers = {**LEVELS, None: ()}


class Mode:
    """A compile mode: a linker name plus a rewrite level and tag filters.

    Parameters
    ----------
    linker : str or linker, optional
        A name of the linker registry (:mod:`symbolic.utils.linkers`;
        'auto' picks the fastest available backend) or a linker object
        (anything with ``make_vm``, see :class:`symbolic.backends.base.Linker`).
        None or 'default' takes ``config.linker``.
    optimizer : str or None
        A key of :data:`predefined_optimizers` or a callable rewriting a
        FunctionGraph in place; 'default' takes ``config.optimizer``.

    Raises
    ------
    ValueError
        For a linker name nothing registered, or an unknown optimizer; the
        message lists the accepted ones.

    Examples
    --------
    >>> Mode(optimizer='fast_compile').excluding('inplace').optimizer
    'fast_compile'
    """

    def __init__(self, linker=None, optimizer="default", db=None):
        if linker is None or linker == "default":
            linker = config.linker
        if optimizer == "default":
            optimizer = config.optimizer
        if linker not in LINKER_NAMES and not hasattr(linker, "make_vm"):
            raise ValueError(
                f"unknown linker {linker!r}: expected one of {list(linker_names())} "
                f"or a linker object (with make_vm)"
            )
        if optimizer == "None":
            optimizer = None
        if optimizer not in predefined_optimizers and not callable(optimizer):
            raise ValueError(
                f"unknown optimizer {optimizer!r}: expected one of "
                f"{[name for name in predefined_optimizers if name is not None]}, "
                f"None or a callable"
            )
        self.linker = linker
        self.optimizer = optimizer
        self.included = ()
        self.excluded = ()
        self.required = ()
        self.name = None

    def _clone_with(self, **changes):
        new = Mode.__new__(Mode)
        new.__dict__.update(self.__dict__)
        new.__dict__.update(changes)
        return new

    def including(self, *tags):
        """Return a copy that also runs rewrites tagged with ``tags``."""
        return self._clone_with(included=self.included + tags)

    def excluding(self, *tags):
        """Return a copy that skips rewrites tagged with ``tags``."""
        return self._clone_with(excluded=self.excluded + tags)

    def requiring(self, *tags):
        return self._clone_with(required=self.required + tags)

    def clone(self, link_kwargs=None, optimizer="", **kwargs):
        changes = {}
        if optimizer != "":
            changes["optimizer"] = optimizer
        return self._clone_with(**changes)

    def print_summary(self, file=None):
        """Print the profiles of the functions compiled with this mode.

        Only a :class:`~symbolic.compile.profilemode.ProfileMode` records
        them; a plain Mode writes a line saying so (Theano's module examples
        call this on any mode).
        """
        import sys

        stats = getattr(self, "profile_stats", None)
        file = sys.stdout if file is None else file
        if not stats:
            print(f"{self}: no profile recorded (use ProfileMode)", file=file)
            return
        for each in stats:
            each.summary(file=file)

    @property
    def provided_optimizer(self):
        return self.optimizer

    @property
    def provided_linker(self):
        return self.linker

    def __eq__(self, other):
        return isinstance(other, Mode) and self.__dict__ == other.__dict__

    def __hash__(self):
        return hash((self.linker, self.optimizer, self.included, self.excluded))

    def __str__(self):
        return (
            f"Mode(linker={self.linker}, optimizer={self.optimizer}"
            + (f", including={self.included}" if self.included else "")
            + (f", excluding={self.excluded}" if self.excluded else "")
            + ")"
        )

    __repr__ = __str__


def _fast_run():
    # The configured linker, as Theano's FAST_RUN honoured THEANO_FLAGS=linker.
    return Mode(linker=None, optimizer="fast_run")


def _fast_compile():
    return Mode(linker="py", optimizer="fast_compile")


predefined_modes = {
    "FAST_RUN": _fast_run,
    "FAST_COMPILE": _fast_compile,
}


#: ``(device pattern, module)``: the backend serving a GPU device, imported
#: only when that device is configured (compile sits below the backends, so
#: it names them by string).  The module has ``check(device)`` (raises when
#: the device cannot be used, else returns a Mode adapter) and
#: ``shared_constructor`` (tried first by ``shared``).
DEVICE_BACKENDS = ((re.compile(r"(?:cuda|gpu)\d*"), "symbolic.backends.cuda.device"),)


def device_backend(device=None):
    """The backend module serving ``device`` (default ``config.device``), or None."""
    device = str(config.device if device is None else device).strip().lower()
    for pattern, module in DEVICE_BACKENDS:
        if pattern.fullmatch(device):
            return importlib.import_module(module)
    return None


def check_device():
    """Check that ``config.device`` can be used; return its backend's mode adapter.

    ``cpu`` needs nothing (returns None).  A CUDA device (``cuda``,
    ``cudaN``, ``gpu``, ``gpuN``) is checked by the CUDA backend, which
    raises one error naming what is missing (pycuda, the driver or a
    device) and otherwise returns a function that adapts a Mode to the GPU.
    Importing and configuring never raise; compiling a function does,
    rather than silently running on the CPU what was asked for a GPU.

    Raises
    ------
    ValueError
        When ``config.device`` names a device no backend serves (OpenCL...).
    RuntimeError
        (``CudaUnavailable``) when the GPU it names cannot be used.
    """
    device = str(config.device).strip().lower()
    if device == "cpu" or not device:
        return None
    backend = device_backend(device)
    if backend is None:
        raise ValueError(
            f"config.device is {config.device!r}, which no backend serves: "
            f"expected 'cpu', 'cuda', 'cudaN', 'gpu' or 'gpuN'. Set device=cpu "
            f"in SYMBOLIC_FLAGS (or in THEANO_FLAGS when running through "
            f"symbolic.theano_alias) or in ~/.symbolicrc."
        )
    return backend.check(str(config.device).strip())


def get_mode(mode):
    """Return the Mode for ``mode`` (a Mode, a mode name, or None for the default).

    On a GPU ``config.device`` the mode is the one its backend adapts (the
    GPU placement rewrite included, the backend's linker).
    """
    adapt = check_device()
    found = _get_mode(mode)
    return found if adapt is None else adapt(found)


def _get_mode(mode):
    if mode is None:
        name = config.mode
        if name == "Mode":
            return Mode()
        return predefined_modes[name]()
    if isinstance(mode, Mode):
        return mode
    if isinstance(mode, str):
        if mode == "Mode":
            return Mode()
        if mode not in predefined_modes:
            raise ValueError(
                f"unknown mode {mode!r}; expected one of {sorted(predefined_modes)}"
            )
        return predefined_modes[mode]()
    raise TypeError(f"mode must be a Mode or a mode name, got {mode!r}")


FAST_RUN = "FAST_RUN"
FAST_COMPILE = "FAST_COMPILE"

# DebugMode subclasses Mode, so it is defined after it.
from symbolic.compile.debugmode import DebugMode  # noqa: E402

predefined_modes["DebugMode"] = predefined_modes["DEBUG_MODE"] = DebugMode

from symbolic.compile.profilemode import ProfileMode  # noqa: E402

predefined_modes["ProfileMode"] = ProfileMode


def _nan_guard():
    from symbolic.compile.nanguardmode import NanGuardMode

    return NanGuardMode(True, True, True)


predefined_modes["NanGuardMode"] = _nan_guard
