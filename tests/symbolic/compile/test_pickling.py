"""Functions and shared variables pickle and work again in a fresh process."""

import pickle
import subprocess
import sys

import numpy

import symbolic
import symbolic.tensor as T

_RESUME = r"""
import pickle, sys, numpy
with open(sys.argv[1], "rb") as handle:
    f, w = pickle.load(handle)
f(numpy.array([1.0, 2.0]))
print(repr(w.get_value().tolist()))
print(repr(f.maker.inputs[1].value is w.container))
"""


def test_function_roundtrip_in_subprocess(tmp_path):
    w = symbolic.shared(numpy.zeros(2), "w")
    x = T.dvector("x")
    f = symbolic.function([x], (w * x).sum(), updates=[(w, w + x)])
    f(numpy.array([1.0, 1.0]))
    path = tmp_path / "fn.pkl"
    with open(path, "wb") as handle:
        pickle.dump((f, w), handle)
    script = tmp_path / "resume.py"
    script.write_text(_RESUME)
    result = subprocess.run(
        [sys.executable, str(script), str(path)],
        capture_output=True,
        text=True,
        check=True,
        cwd=str(tmp_path),
        env={"PYTHONPATH": str(_repo_root()), "PATH": ""},
    )
    lines = result.stdout.split()
    assert lines[0] == "[2.0,", lines
    assert result.stdout.splitlines() == ["[2.0, 3.0]", "True"]


def _repo_root():
    import pathlib

    return pathlib.Path(symbolic.__file__).resolve().parent.parent


def test_every_protocol_and_shared_identity():
    w = symbolic.shared(numpy.ones(3), "w")
    x = T.dvector("x")
    f = symbolic.function([x], w * x, updates=[(w, w * 2)])
    for protocol in range(pickle.HIGHEST_PROTOCOL + 1):
        g, w2 = pickle.loads(pickle.dumps((f, w), protocol=protocol))
        before = w2.get_value()
        out = g(numpy.ones(3))
        numpy.testing.assert_array_equal(out, before)
        numpy.testing.assert_array_equal(w2.get_value(), before * 2)
        numpy.testing.assert_array_equal(w.get_value(), numpy.ones(3))


def test_unpickle_function_flag():
    x = T.dscalar()
    f = symbolic.function([x], x)
    data = pickle.dumps(f)
    with symbolic.change_flags(unpickle_function=False):
        assert pickle.loads(data) is None


def test_graph_objects_pickle():
    x = T.dmatrix("x")
    y = (T.exp(x) * 2).sum(axis=0)
    y.tag.roles = ["OUTPUT"]
    y2 = pickle.loads(pickle.dumps(y))
    assert y2.tag.roles == ["OUTPUT"]
    assert str(y2.owner.op) == str(y.owner.op)
    (x2,) = [v for v in symbolic.gof.graph.inputs([y2]) if v.name == "x"]
    numpy.testing.assert_allclose(y2.eval({x2: numpy.zeros((2, 2))}), [4.0, 4.0])


def test_test_value_dropped_when_flag_off():
    x = T.dvector("x")
    x.tag.test_value = numpy.ones(2)
    with symbolic.change_flags(pickle_test_value=False):
        x2 = pickle.loads(pickle.dumps(x))
    assert not hasattr(x2.tag, "test_value")
