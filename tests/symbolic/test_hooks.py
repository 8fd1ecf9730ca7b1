"""Lower layers reach higher ones only through hooks the higher layers fill."""

import subprocess
import sys

import numpy
import pytest

import symbolic
import symbolic.tensor as T
from symbolic.utils.hooks import Hook


def _run(code):
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False
    )


def test_an_empty_hook_names_what_to_import():
    hook = Hook("doubling things", "some.module")
    with pytest.raises(RuntimeError, match=r"doubling things: this needs some\.module"):
        hook(2)
    hook.install(lambda x: 2 * x)
    assert hook(2) == 4


def test_an_empty_hook_suggests_the_common_import_that_fills_it():
    default = Hook("doubling things", "some.module")
    sparse = Hook("halving things", "some.module", also="some")
    with pytest.raises(RuntimeError, match=r"\(or symbolic\.tensor\) first"):
        default(2)
    with pytest.raises(RuntimeError, match=r"import some\.module \(or some\) first"):
        sparse(2)


def test_variable_methods_eval_and_replace_work_once_the_layers_are_imported():
    x = T.vector("x")
    y = (x * 2).sum()
    numpy.testing.assert_allclose(y.eval({x: numpy.arange(3.0)}), 6.0)
    # Non-strict clone_replace turns a value into a constant.
    s = T.dscalar("s")
    replaced = symbolic.clone(s + 1, replace={s: numpy.float64(3.0)}, strict=False)
    numpy.testing.assert_allclose(replaced.eval(), 4.0)


def test_tensor_methods_without_the_ops_layer_raise_a_clear_error():
    result = _run(
        "from symbolic.types.tensor import TensorType\n"
        "x = TensorType('float64', (False,))('x')\n"
        "x + 1\n"
    )
    assert result.returncode != 0
    assert "this needs symbolic.ops" in result.stderr


def test_scan_rules_join_a_pipeline_built_before_scan_was_imported():
    result = _run(
        "from symbolic.rewriting import pipeline\n"
        "before = {r.name for n, g in pipeline.registered_rules().values() "
        "for r in n + g}\n"
        "import symbolic.scan\n"
        "after = {r.name for n, g in pipeline.registered_rules().values() "
        "for r in n + g}\n"
        "print(sorted(after - before))\n"
    )
    assert result.returncode == 0, result.stderr
    assert "scan_push_out_invariants" in result.stdout
    assert "scan_save_mem" in result.stdout
