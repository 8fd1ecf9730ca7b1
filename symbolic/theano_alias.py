"""Run unmodified Theano scripts: ``import theano`` resolves to ``symbolic``.

Opt in, per process, in one of two ways::

    python -m symbolic.theano_alias script.py [args ...]
    python -m symbolic.theano_alias -m package.module [args ...]

or, from code that runs before the script's imports::

    import symbolic.theano_alias
    symbolic.theano_alias.install()

Either installs an import hook (a finder on :data:`sys.meta_path`) that
answers ``theano`` and every ``theano.<sub>`` with the module
``symbolic.<sub>``; the modules are the same objects, so ``theano.tensor
is symbolic.tensor``.  Nothing named ``theano`` is put on disk, and the hook steps
aside when another finder can find a ``theano`` package, so an installed
Theano is never shadowed: with one installed, ``import theano`` finds it.

``THEANO_FLAGS`` (and ``THEANORC``) are then read as ``SYMBOLIC_FLAGS``
(and ``SYMBOLICRC``): their flags are applied to :data:`symbolic.config`
when the hook is installed, and ``SYMBOLIC_FLAGS``, when also set, wins.
They are exported to the environment too, so a subprocess started by the
script sees them.
"""

import importlib
import importlib.abc
import importlib.util
import logging
import os
import runpy
import sys

_logger = logging.getLogger(__name__)

ALIAS = "theano"
TARGET = "symbolic"

USAGE = (
    "usage: python -m symbolic.theano_alias script.py [args ...]\n"
    "       python -m symbolic.theano_alias -m module [args ...]"
)


def _target_name(fullname):
    """``symbolic.<sub>`` for ``theano.<sub>``; None for other names."""
    if fullname == ALIAS:
        return TARGET
    if fullname.startswith(ALIAS + "."):
        return TARGET + fullname[len(ALIAS) :]
    return None


class _AliasLoader(importlib.abc.Loader):
    """Hands out the already imported ``symbolic`` module for a ``theano`` name."""

    def __init__(self, target):
        self.target = target

    def create_module(self, spec):
        return importlib.import_module(self.target)

    def exec_module(self, module):
        # The target module ran when it was imported under its own name.
        return None


class TheanoAliasFinder(importlib.abc.MetaPathFinder):
    """Meta path finder that maps ``theano`` and ``theano.*`` onto ``symbolic``.

    Examples
    --------
    >>> finder = TheanoAliasFinder()
    >>> finder.find_spec('numpy', None) is None
    True

    Names under ``theano`` are answered only while ``theano`` itself is the
    alias, so a real Theano's submodules stay its own.
    """

    def find_spec(self, fullname, path=None, target=None):
        name = _target_name(fullname)
        if name is None:
            return None
        if fullname == ALIAS:
            if _real_theano_exists(self):
                return None
        elif getattr(sys.modules.get(ALIAS), "__name__", None) != TARGET:
            # ``theano`` is a real Theano: its submodules are its own.
            return None
        if importlib.util.find_spec(name) is None:
            return None
        return importlib.util.spec_from_loader(fullname, _AliasLoader(name))


def _real_theano_exists(finder):
    """Whether a finder other than ``finder`` can find a ``theano`` package."""
    for other in sys.meta_path:
        if other is finder or isinstance(other, TheanoAliasFinder):
            continue
        find = getattr(other, "find_spec", None)
        if find is not None and find(ALIAS, None) is not None:
            return True
    return False


def _theano_finder():
    return next((f for f in sys.meta_path if isinstance(f, TheanoAliasFinder)), None)


def installed():
    """Whether :func:`install` has put the hook on :data:`sys.meta_path`."""
    return _theano_finder() is not None


def install():
    """Make ``import theano`` (and ``theano.*``) resolve to ``symbolic``.

    Appends the finder to :data:`sys.meta_path` (once) and applies
    ``THEANO_FLAGS``/``THEANORC`` to :data:`symbolic.config`; see the module
    docstring.  Returns the finder.
    """
    finder = _theano_finder()
    if finder is None:
        finder = TheanoAliasFinder()
        # First, so that ``theano.<sub>`` is not loaded a second time from
        # symbolic's own directory by the path finder.
        sys.meta_path.insert(0, finder)
        _read_theano_flags()
    return finder


def uninstall():
    """Remove the hook and forget the ``theano`` names it answered."""
    finder = _theano_finder()
    if finder is not None:
        sys.meta_path.remove(finder)
    for name in list(sys.modules):
        module = sys.modules[name]
        if _target_name(name) is not None and getattr(module, "__name__", "") != name:
            del sys.modules[name]


def _read_theano_flags():
    """Apply ``THEANORC`` and ``THEANO_FLAGS`` now (``python -m`` did at import).

    They are also exported as ``SYMBOLIC_FLAGS``, for subprocesses.
    """
    # The module, not the ``config`` object the package exports under that name.
    importlib.import_module("symbolic.config").read_theano_flags()
    theano_flags = os.environ.get("THEANO_FLAGS", "")
    own = os.environ.get("SYMBOLIC_FLAGS", "")
    if theano_flags:
        os.environ["SYMBOLIC_FLAGS"] = f"{theano_flags},{own}" if own else theano_flags


def main(argv=None):
    """Run a script (or ``-m module``) with the hook installed; see the module doc."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help"):
        print(USAGE, file=sys.stderr)  # noqa: T201 (command-line usage)
        return 2
    if argv[0] == "-m":
        if len(argv) < 2:
            print(USAGE, file=sys.stderr)  # noqa: T201
            return 2
        install()
        sys.argv = argv[1:]
        runpy.run_module(argv[1], run_name="__main__", alter_sys=True)
        return 0
    script = argv[0]
    if not os.path.isfile(script):
        print(f"symbolic.theano_alias: no such script: {script}", file=sys.stderr)  # noqa: T201
        return 2
    install()
    sys.argv = argv
    sys.path.insert(0, os.path.dirname(os.path.abspath(script)))
    runpy.run_path(script, run_name="__main__")
    return 0


if __name__ == "__main__":
    # Run the importable copy, so that ``installed()`` sees this hook.
    from symbolic.theano_alias import main as _main

    sys.exit(_main())
