"""Every configuration option, declared once; read from SYMBOLIC_FLAGS and an rc file.

``SYMBOLIC_FLAGS`` uses Theano's ``THEANO_FLAGS`` syntax: ``name=value`` pairs
separated by commas.  The rc file holds ``name = value`` lines (an optional
``[global]`` header is accepted).  Flags given in the environment win over the
file; both win over the declared default.
"""

import configparser
import contextlib
import logging
import os
import shutil
import sys

from symbolic.utils.linkers import LINKER_NAMES

_logger = logging.getLogger(__name__)


class ConfigError(ValueError):
    """A flag was given an unknown name or an invalid value."""


class _Option:
    def __init__(self, name, default, doc, parse=str, choices=None):
        self.name = name
        self.default = default
        self.doc = doc
        self.parse = parse
        self.choices = choices

    def convert(self, value):
        if isinstance(value, str):
            value = self.parse(value)
        if self.choices is not None and value not in self.choices:
            raise ConfigError(
                f"config.{self.name}: expected one of "
                f"{sorted(map(str, self.choices))}, "
                f"got {value!r}"
            )
        return value


def _parse_bool(text):
    lowered = text.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off", ""):
        return False
    raise ConfigError(f"expected a boolean, got {text!r}")


def _parse_optimizer(text):
    return None if text in ("None", "none", "") else text


_OPTIONS = [
    _Option(
        "floatX",
        "float64",
        "Default float dtype.",
        choices=("float64", "float32", "float16"),
    ),
    _Option("device", "cpu", "Where computations run ('cpu' or 'cuda...').", parse=str),
    _Option(
        "cuda__compiler",
        "auto",
        "What compiles the CUDA kernels to PTX: 'nvrtc' (in process, fast), "
        "'nvcc', or 'auto' (NVRTC when libnvrtc loads, else nvcc).",
        choices=("auto", "nvrtc", "nvcc"),
    ),
    _Option(
        "cuda__crosscheck",
        False,
        "With device=cuda, recompute every node run by a CUDA kernel with its "
        "op's perform on host copies and raise on a mismatch (slow; for "
        "checking the backend).",
        parse=_parse_bool,
    ),
    _Option(
        "mode",
        "Mode",
        "Default compile mode name.",
        choices=(
            "Mode",
            "FAST_RUN",
            "FAST_COMPILE",
            "DebugMode",
            "DEBUG_MODE",
            "ProfileMode",
            "NanGuardMode",
        ),
    ),
    _Option(
        "linker",
        "auto",
        "Default linker: a name of the linker registry "
        "(symbolic.utils.linkers: 'auto', 'c', 'llvm', 'py'...).",
        choices=LINKER_NAMES,
    ),
    _Option(
        "optimizer",
        "fast_run",
        "Rewrite level.",
        parse=_parse_optimizer,
        choices=(
            "fast_run",
            "fast_compile",
            "merge",
            "o1",
            "o2",
            "o3",
            "o4",
            "unsafe",
            "stabilize",
            None,
        ),
    ),
    _Option(
        "DebugMode__check_finite",
        True,
        "DebugMode raises when a node turns finite inputs into nan or inf.",
        parse=_parse_bool,
    ),
    _Option(
        "NanGuardMode__nan_is_error",
        True,
        "NanGuardMode raises when a node outputs nan.",
        parse=_parse_bool,
    ),
    _Option(
        "NanGuardMode__inf_is_error",
        True,
        "NanGuardMode raises when a node outputs inf.",
        parse=_parse_bool,
    ),
    _Option(
        "NanGuardMode__big_is_error",
        True,
        "NanGuardMode raises when a node outputs a magnitude above 1e10.",
        parse=_parse_bool,
    ),
    _Option(
        "NanGuardMode__action",
        "raise",
        "What NanGuardMode does on a bad value: 'raise' or 'warn' (log it).",
        choices=("raise", "warn"),
    ),
    _Option(
        "on_unused_input",
        "raise",
        "What function() does with unused inputs.",
        choices=("raise", "warn", "ignore"),
    ),
    _Option(
        "cast_policy",
        "custom",
        "How Python literals are typed.",
        choices=("custom", "numpy+floatX"),
    ),
    _Option(
        "compute_test_value",
        "off",
        "Eager test-value computation.",
        choices=("off", "ignore", "warn", "raise", "pdb"),
    ),
    _Option(
        "print_test_value", False, "Show test values in errors.", parse=_parse_bool
    ),
    _Option("pickle_test_value", True, "Pickle tag.test_value.", parse=_parse_bool),
    _Option(
        "unpickle_function", True, "Unpickle Functions (else None).", parse=_parse_bool
    ),
    _Option("profile", False, "Profile every function.", parse=_parse_bool),
    _Option("profile_memory", False, "Record memory in profiles.", parse=_parse_bool),
    _Option(
        "warn_float64",
        "ignore",
        "What to do when a float64 appears.",
        choices=("ignore", "warn", "raise", "pdb"),
    ),
    _Option(
        "exception_verbosity",
        "low",
        "Detail in runtime errors.",
        choices=("low", "high"),
    ),
    _Option(
        "compiledir",
        os.path.join(os.path.expanduser("~"), ".symbolic", "compiledir"),
        "Where compiled modules are cached.",
    ),
    _Option(
        "compile__background",
        True,
        "Build a new graph's C kernels in a background thread; calls made "
        "meanwhile run those nodes in Python (faster time to first result). "
        "Only graphs whose kernels compute numpy's values bit for bit start "
        "so; the others wait for their kernels on the first call.",
        parse=_parse_bool,
    ),
    _Option(
        "compile__on_error",
        "raise",
        "What a failed C kernel build does: 'raise' the compiler's message, or "
        "'warn' and run those nodes with perform.",
        choices=("raise", "warn"),
    ),
    _Option(
        "blas__source",
        "auto",
        "BLAS the C runtime calls: 'numpy' (the OpenBLAS numpy bundles), "
        "'scipy' (scipy.linalg.cython_blas), or 'auto' (numpy's when present).",
        choices=("auto", "numpy", "scipy"),
    ),
    _Option(
        "cpu__isa",
        "native",
        "Instruction set of the compiled code: 'native' (all this CPU has, "
        "AVX-512 included where present) or 'avx2' (AVX2 and FMA only, as on "
        "a CPU without AVX-512: kernels are built for x86-64-v3, the C "
        "runtime is rebuilt that way into the cache, the packed products take "
        "their AVX2 kernel and LLVM leaves AVX-512 out).  numpy's OpenBLAS "
        "reads OPENBLAS_CORETYPE (Haswell for AVX2) instead.",
        choices=("native", "avx2"),
    ),
    _Option(
        "scan__c_loop",
        True,
        "In functions linked by the C backend, run Scan's steps after the first "
        "in the C runtime (else in the Python loop).",
        parse=_parse_bool,
    ),
    _Option(
        "cxx",
        shutil.which("gcc") or "",
        "C compiler for the C backend; '' means none (kernels use LLVM or Python).",
    ),
    _Option(
        "gcc__cxxflags",
        "",
        "Extra flags appended to every C backend compile (space separated).",
    ),
    _Option("traceback__limit", 8, "Frames kept in tag.trace.", parse=int),
    _Option(
        "unittests__rseed",
        "666",
        "Seed of tests.unittest_tools.seed_rng: an integer, or 'random'.",
    ),
    _Option(
        "warn__ignore_bug_before",
        "0.9",
        "Theano's warnings about bugs fixed before this version stay silent "
        "(accepted for compatibility; this engine never had those bugs).",
    ),
    *(
        _Option(
            f"warn__{name}",
            False,
            "Theano's warning about an old bug (accepted for compatibility; "
            "this engine never had it).",
            parse=_parse_bool,
        )
        for name in (
            "argmax_pushdown_bug",
            "gpusum_01_011_0111_bug",
            "sum_sum_bug",
            "sum_div_dimshuffle_bug",
            "subtensor_merge_bug",
            "gpu_set_subtensor1",
            "vm_gc_bug",
            "signal_conv2d_interface",
            "reduce_join",
            "inc_set_subtensor1",
            "round",
            "inc_subtensor1_opt",
        )
    ),
    _Option(
        "deterministic",
        "default",
        "Prefer deterministic kernels.",
        choices=("default", "more"),
    ),
]


class Config:
    """The global flag object: each option is a readable, writable attribute."""

    def __init__(self, options):
        object.__setattr__(self, "_options", {opt.name: opt for opt in options})
        object.__setattr__(self, "_values", {opt.name: opt.default for opt in options})

    def __getattr__(self, name):
        values = object.__getattribute__(self, "_values")
        key = name.replace(".", "__")
        if key in values:
            return values[key]
        if any(option.startswith(f"{key}__") for option in values):
            # Theano's sections: config.warn.round is the flag warn__round.
            return _Section(self, key)
        raise AttributeError(f"symbolic.config has no option {name!r}")

    def __setattr__(self, name, value):
        key = name.replace(".", "__")
        if key not in self._options:
            raise ConfigError(f"symbolic.config has no option {name!r}")
        self._values[key] = self._options[key].convert(value)

    def __dir__(self):
        return sorted(self._options)

    def options(self):
        """Return the declared options as a {name: (default, doc)} dict."""
        return {name: (opt.default, opt.doc) for name, opt in self._options.items()}

    def apply(self, flags, source):
        """Set every ``name=value`` pair of ``flags``; errors name ``source``."""
        for name, value in flags.items():
            key = name.replace(".", "__")
            if key not in self._options:
                raise ConfigError(f"{source}: unknown flag {name!r}")
            try:
                self._values[key] = self._options[key].convert(value)
            except ConfigError as exc:
                raise ConfigError(f"{source}: {exc}") from None


class _Section:
    """A dotted view of the flags sharing a prefix (``config.warn.round``)."""

    def __init__(self, config, prefix):
        object.__setattr__(self, "_config", config)
        object.__setattr__(self, "_prefix", prefix)

    def __getattr__(self, name):
        return getattr(self._config, f"{self._prefix}__{name}")

    def __setattr__(self, name, value):
        setattr(self._config, f"{self._prefix}__{name}", value)

    def __dir__(self):
        start = f"{self._prefix}__"
        return sorted(o[len(start) :] for o in dir(self._config) if o.startswith(start))

    def __repr__(self):
        return f"<symbolic.config section {self._prefix!r}>"


def parse_flags(text):
    """Parse THEANO_FLAGS syntax (``a=b,c=d``) into a dict."""
    flags = {}
    for item in text.split(","):
        item = item.strip()
        if not item:
            continue
        if "=" not in item:
            raise ConfigError(f"SYMBOLIC_FLAGS: expected name=value, got {item!r}")
        name, value = item.split("=", 1)
        flags[name.strip()] = value.strip()
    return flags


def _read_rc(path):
    parser = configparser.ConfigParser()
    parser.optionxform = str
    with open(path) as handle:
        text = handle.read()
    if not text.lstrip().startswith("["):
        text = "[global]\n" + text
    parser.read_string(text)
    flags = {}
    for section in parser.sections():
        for name, value in parser.items(section):
            key = name if section == "global" else f"{section}__{name}"
            flags[key] = value
    return flags


config = Config(_OPTIONS)

_rc_path = os.environ.get("SYMBOLICRC", os.path.expanduser("~/.symbolicrc"))
if os.path.isfile(_rc_path):
    config.apply(_read_rc(_rc_path), _rc_path)
config.apply(parse_flags(os.environ.get("SYMBOLIC_FLAGS", "")), "SYMBOLIC_FLAGS")

_ALIAS_MODULE = "symbolic.theano_alias"
# Interpreter options that take their value as the next argument.
_OPTIONS_WITH_VALUE = ("-W", "-X", "--check-hash-based-pycs")

#: True once THEANORC and THEANO_FLAGS have been applied (:func:`read_theano_flags`).
theano_flags_read = False


def run_as_theano(argv=None):
    """Whether the interpreter was started as ``python -m symbolic.theano_alias``.

    Such a process reads ``THEANO_FLAGS`` when this module is imported, as
    Theano read them on ``import theano``.
    """
    argv = list(getattr(sys, "orig_argv", ()) if argv is None else argv)[1:]
    skip = False
    for i, arg in enumerate(argv):
        if skip:
            skip = False
            continue
        if arg == "-m":
            return argv[i + 1 : i + 2] == [_ALIAS_MODULE]
        if arg.startswith("-m"):
            return arg[2:] == _ALIAS_MODULE
        if arg in _OPTIONS_WITH_VALUE:
            skip = True
            continue
        if arg == "-c" or not arg.startswith("-"):
            return False
    return False


def read_theano_flags():
    """Apply ``THEANORC`` and ``THEANO_FLAGS`` as symbolic's own (once).

    ``THEANORC`` is read when ``SYMBOLICRC`` is not set; ``SYMBOLIC_FLAGS``
    is applied again afterwards, so it wins where both set a flag.  Used by
    :mod:`symbolic.theano_alias`.
    """
    global theano_flags_read
    if theano_flags_read:
        return
    theano_flags_read = True
    theano_rc = os.environ.get("THEANORC")
    if theano_rc and "SYMBOLICRC" not in os.environ:
        for path in theano_rc.split(os.pathsep):
            if os.path.isfile(path):
                config.apply(_read_rc(path), path)
    theano_flags = os.environ.get("THEANO_FLAGS", "")
    if theano_flags:
        config.apply(parse_flags(theano_flags), "THEANO_FLAGS")
        config.apply(
            parse_flags(os.environ.get("SYMBOLIC_FLAGS", "")), "SYMBOLIC_FLAGS"
        )


if run_as_theano():
    read_theano_flags()


class change_flags(contextlib.ContextDecorator):
    """Set flags for the duration of a block (or a decorated call), then restore them.

    Examples
    --------
    >>> from symbolic.config import config, change_flags
    >>> with change_flags(floatX="float32"):
    ...     config.floatX
    'float32'
    """

    def __init__(self, **flags):
        self.flags = flags
        self._saved = []

    def __enter__(self):
        self._saved.append({name: getattr(config, name) for name in self.flags})
        for name, value in self.flags.items():
            setattr(config, name, value)
        return self

    def __exit__(self, *exc):
        for name, value in self._saved.pop().items():
            setattr(config, name, value)
        return False
