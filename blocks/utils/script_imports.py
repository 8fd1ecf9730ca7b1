"""Finding what a checkpoint's pickle refers to, when resuming it.

A pickle names every class and function it holds by module and name. Two
kinds of names need help when another process resumes a checkpoint:

- those of ``__main__``, the training script itself:
  :func:`run_script_definitions` runs the script's top level (but not its
  ``if __name__ == '__main__':`` block) and makes what it defines
  reachable as ``__main__.<name>``;
- those of the script's own modules, found only from its folder:
  :class:`ModuleSearchingUnpickler` looks for a module that cannot be
  imported in a few folders given explicitly, and appends the folder that
  has it to the *end* of ``sys.path``, so that it never hides a module of
  the standard library or of the installed packages.

"""

import importlib
import logging
import os
import pickle
import runpy
import sys
import types

logger = logging.getLogger(__name__)

SCRIPT_RUN_NAME = "__blocks_script__"


def _adopt(namespace_object, run_name, seen):
    """Give the classes and functions defined by the script the module
    ``__main__``, so that they are pickled under that name again."""
    if id(namespace_object) in seen:
        return
    seen.add(id(namespace_object))
    if isinstance(namespace_object, (type, types.FunctionType)):
        if getattr(namespace_object, "__module__", None) == run_name:
            try:
                namespace_object.__module__ = "__main__"
            except (AttributeError, TypeError):
                return
            if isinstance(namespace_object, type):
                for attribute in vars(namespace_object).values():
                    if isinstance(attribute, type):
                        _adopt(attribute, run_name, seen)


def run_script_definitions(script):
    """Run a training script's definitions into ``__main__``.

    The script runs under another name than ``__main__``, so its
    ``if __name__ == '__main__':`` block (the training itself) does not
    run. Its folder is appended to ``sys.path`` first, as its own imports
    may need it.

    Parameters
    ----------
    script : str
        The path of the script.

    Returns
    -------
    list of str
        The names the script defined, now attributes of ``__main__``.

    """
    if not os.path.isfile(script):
        raise FileNotFoundError(f"no training script at {script!r}")
    folder = os.path.dirname(os.path.abspath(script))
    if folder not in sys.path:
        sys.path.append(folder)
    namespace = runpy.run_path(script, run_name=SCRIPT_RUN_NAME)
    main = sys.modules["__main__"]
    defined = []
    seen = set()
    for name, value in namespace.items():
        if name.startswith("__"):
            continue
        _adopt(value, SCRIPT_RUN_NAME, seen)
        setattr(main, name, value)
        defined.append(name)
    return defined


def _has_module(folder, name):
    return os.path.isfile(os.path.join(folder, f"{name}.py")) or os.path.isfile(
        os.path.join(folder, name, "__init__.py")
    )


class ModuleSearchingUnpickler(pickle.Unpickler):
    r"""An unpickler that looks for missing modules in given folders.

    Parameters
    ----------
    file_ : file
        The pickle.
    folders : list of str
        Where to look, in order, for a top-level module that cannot be
        imported from ``sys.path``.
    \*\*kwargs
        Passed on to :class:`pickle.Unpickler`.

    """

    def __init__(self, file_, folders, **kwargs):
        super().__init__(file_, **kwargs)
        self.folders = [os.path.abspath(f) for f in folders]

    def find_class(self, module, name):
        try:
            return super().find_class(module, name)
        except ModuleNotFoundError as error:
            top = module.split(".")[0]
            if error.name != top:
                raise
            for folder in self.folders:
                if _has_module(folder, top):
                    logger.info(
                        f"the checkpoint needs the module {top!r}, found in "
                        f"{folder}; appending that folder to sys.path"
                    )
                    if folder not in sys.path:
                        sys.path.append(folder)
                    importlib.invalidate_caches()
                    return super().find_class(module, name)
            raise ModuleNotFoundError(
                f"the checkpoint needs the module {module!r}, which is neither "
                f"importable nor in the folders searched ({self.folders}); "
                f"install it, or pass the folder that has it",
                name=error.name,
            ) from error
