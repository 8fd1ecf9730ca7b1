"""``import theano`` resolves to symbolic once the alias hook is installed.

The ``import theano`` lines below are the subject of these tests (the opt-in
way to run a Theano script with no change at all); no Theano is installed or
needed: each resolves to a symbolic module through the hook.
"""

import os
import runpy
import subprocess
import sys

import numpy
import pytest

import symbolic
from symbolic import theano_alias
from symbolic.config import change_flags

SCRIPTS = os.path.join(os.path.dirname(__file__), "theano_scripts")


@pytest.fixture
def alias():
    if theano_alias.installed():
        pytest.skip("the hook is installed for the whole test session")
    theano_alias.install()
    try:
        yield
    finally:
        theano_alias.uninstall()


def test_theano_modules_are_symbolic_modules(alias):
    import theano
    import theano.tensor.nnet
    from theano.sandbox import rng_mrg
    from theano.tensor.nnet import sigmoid

    assert theano is symbolic
    assert theano.tensor.nnet is symbolic.tensor.nnet
    assert sigmoid is symbolic.tensor.nnet.sigmoid
    assert rng_mrg is sys.modules["symbolic.sandbox.rng_mrg"]
    assert theano_alias.install() is theano_alias.install()


def test_uninstall_forgets_the_alias(alias):
    import theano.tensor  # noqa: F401

    theano_alias.uninstall()
    assert "theano.tensor" not in sys.modules
    assert not theano_alias.installed()
    finder = theano_alias.TheanoAliasFinder()
    assert finder.find_spec("theano.no_such_module") is None
    assert finder.find_spec("theanolike") is None


def test_unmodified_script_runs_through_the_module(tmp_path):
    env = dict(os.environ, THEANO_FLAGS="floatX=float32")
    env.pop("SYMBOLIC_FLAGS", None)
    script = os.path.join(SCRIPTS, "small_theano_script.py")
    done = subprocess.run(
        [sys.executable, "-m", "symbolic.theano_alias", script, "2.5"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    lines = dict(line.split(" ", 1) for line in done.stdout.splitlines())
    assert float(lines["result"]) == pytest.approx(3.0)
    assert lines["uniform"] == "(3,) True"
    assert lines["floatX"] == "float32"
    assert lines["same"] == "True"
    assert lines["blocks"] == "[[3.5]]"


def test_usage_without_a_script():
    assert theano_alias.main([]) == 2
    assert theano_alias.main(["/no/such/script.py"]) == 2


def test_tutorial_logistic_regression_trains(alias, capsys):
    """Theano's logistic-regression tutorial, unmodified, classifies its data."""
    state = numpy.random.get_state()
    numpy.random.seed(1234)
    try:
        # A training run, not an op check: FAST_RUN even in the DebugMode pass.
        with change_flags(mode="FAST_RUN"):
            found = runpy.run_path(os.path.join(SCRIPTS, "logistic_regression.py"))
    finally:
        numpy.random.set_state(state)
    capsys.readouterr()
    data, targets = found["D"]
    assert numpy.isfinite(found["w"].get_value()).all()
    assert (found["predict"](data) == targets).mean() == 1.0


def test_theano_flags_are_read_when_symbolic_config_is_imported(tmp_path):
    """Under ``python -m``, THEANO_FLAGS is in force before any script code runs."""
    script = tmp_path / "read_flags.py"
    script.write_text(
        "import sys\n"
        "from symbolic.config import config\n"
        "print(config.floatX, config.optimizer, 'theano' in sys.modules)\n"
    )
    env = dict(os.environ, THEANO_FLAGS="floatX=float32,optimizer=fast_compile")
    env["SYMBOLIC_FLAGS"] = "optimizer=fast_run"
    done = subprocess.run(
        [sys.executable, "-m", "symbolic.theano_alias", str(script)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    # SYMBOLIC_FLAGS wins where both set a flag.
    assert done.stdout.split() == ["float32", "fast_run", "False"]


def test_run_as_theano_reads_the_interpreter_command_line():
    from symbolic.config import run_as_theano

    assert run_as_theano(["python", "-m", "symbolic.theano_alias", "s.py"])
    assert run_as_theano(["python", "-W", "ignore", "-msymbolic.theano_alias"])
    assert not run_as_theano(["python", "-m", "pytest", "-m", "symbolic.theano_alias"])
    assert not run_as_theano(["python", "script.py", "-m", "symbolic.theano_alias"])
    assert not run_as_theano(["python", "-c", "pass"])


def test_main_runs_a_module_with_its_arguments(tmp_path, monkeypatch):
    if theano_alias.installed():
        pytest.skip("the hook is installed for the whole test session")
    (tmp_path / "uses_theano.py").write_text(
        "import sys\nimport theano\nRESULT.append((theano.__name__, sys.argv[1:]))\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(sys, "argv", list(sys.argv))
    result = []
    monkeypatch.setattr("builtins.RESULT", result, raising=False)
    try:
        assert theano_alias.main(["-m", "uses_theano", "--flag"]) == 0
    finally:
        theano_alias.uninstall()
    assert result == [("symbolic", ["--flag"])]
