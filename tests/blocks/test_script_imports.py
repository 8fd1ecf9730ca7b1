"""Finding the training script's classes and modules when resuming."""

import io
import pickle
import sys

import pytest

from blocks.utils.script_imports import (
    ModuleSearchingUnpickler,
    run_script_definitions,
)

SCRIPT = """
class Helper:
    class Inner:
        pass

    def value(self):
        return 42


def helper_function():
    return 7


if __name__ == "__main__":
    raise SystemExit("the training part of the script ran")
"""


def test_the_script_definitions_become_main_ones(tmp_path):
    script = tmp_path / "train.py"
    script.write_text(SCRIPT)
    main = sys.modules["__main__"]
    names = run_script_definitions(str(script))
    try:
        assert {"Helper", "helper_function"} <= set(names)
        assert main.Helper.__module__ == "__main__"
        assert main.Helper.Inner.__module__ == "__main__"
        assert main.helper_function() == 7
        # Saved again, they are found under __main__.
        copy = pickle.loads(pickle.dumps(main.Helper()))
        assert copy.value() == 42
    finally:
        for name in names:
            delattr(main, name)
        sys.path.remove(str(tmp_path))


def test_a_missing_script_is_reported(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"nowhere\.py"):
        run_script_definitions(str(tmp_path / "nowhere.py"))


def pickle_from_module(folder, name):
    """A pickle of an instance of a class of the module `name` in `folder`."""
    (folder / f"{name}.py").write_text("class Thing:\n    pass\n")
    sys.path.insert(0, str(folder))
    try:
        module = __import__(name)
        data = pickle.dumps(module.Thing())
    finally:
        sys.path.remove(str(folder))
        del sys.modules[name]
    return data


def test_a_missing_module_is_looked_for_in_the_given_folders(tmp_path):
    data = pickle_from_module(tmp_path, "script_imports_test_module")
    with pytest.raises(ModuleNotFoundError, match="script_imports_test_module"):
        ModuleSearchingUnpickler(io.BytesIO(data), []).load()
    try:
        thing = ModuleSearchingUnpickler(io.BytesIO(data), [str(tmp_path)]).load()
        assert type(thing).__name__ == "Thing"
        # Appended, never put first.
        assert sys.path[-1] == str(tmp_path)
    finally:
        sys.path.remove(str(tmp_path))
        sys.modules.pop("script_imports_test_module", None)
