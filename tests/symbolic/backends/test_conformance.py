"""Every Op class against every backend: it lowers, or it falls back to ``perform``.

The walk imports every module of the package (in a new process) and
collects the subclasses of ``symbolic.graph.op.Op`` defined there.  Scalar
ops live inside ``Elemwise`` (their rendering is checked by
``test_scalar_emitters.py``); the few abstract bases are listed in
:data:`ABSTRACT` with the reason.  Every other class has its own
``perform``, which is what a backend runs for a node it does not lower, and
each backend's lowering table names only such classes.

For every class a backend lowers, a representative graph from :data:`CASES`
is compiled without rewrites for that backend and checked to really run the
lowered code; its results must equal those of ``perform`` alone (the Python
backend's faster thunks switched off) on float32 and float64 inputs that are
dense, strided (every array a non-contiguous view), broadcast (inputs with
broadcastable dimensions) and empty, where the op admits such inputs.
"""

import functools
import json
import subprocess
import sys

import numpy
import pytest

import symbolic
import symbolic.tensor as T
from symbolic.backends.c.runtime import runtime
from symbolic.backends.python import thunks as python_thunks
from symbolic.compile.mode import Mode
from symbolic.config import change_flags, config
from symbolic.ops import blas
from symbolic.ops.basic import Alloc, MakeVector, Rebroadcast, Shape_i
from symbolic.ops.conv.abstract_conv import (
    conv2d,
    conv2d_grad_wrt_inputs,
    conv2d_grad_wrt_weights,
)
from symbolic.ops.elemwise import Elemwise
from symbolic.ops.math import Max, Min, Prod, Sum
from symbolic.ops.nnet import basic as nnet
from symbolic.ops.nnet import crossentropy as ce
from symbolic.ops.nnet.bn import (
    AbstractBatchNormInference,
    AbstractBatchNormTrain,
    AbstractBatchNormTrainGrad,
)
from symbolic.ops.pool import AveragePoolGrad, MaxPoolGrad, pool_2d
from symbolic.ops.sum_of_elemwise import SumOfElemwise
from symbolic.random.mrg import MRG_RandomStreams
from symbolic.scan_module import scan

#: Op classes that are never a node's op, with the reason.
ABSTRACT = {
    "symbolic.ops.conv.base.BaseAbstractConv": "base of the three conv ops",
    "symbolic.ops.nnet.bn._AxesOp": "base of the batch-norm ops",
    "symbolic.ops.pool.PoolGrad": "base of MaxPoolGrad and AveragePoolGrad",
    "symbolic.ops.sorting._SortBase": "base of Sort and ArgSort",
    "symbolic.ops.typed_list._ListOp": "base of the typed-list ops",
}

RNG = numpy.random.default_rng(7)
LAYOUTS = ("dense", "strided", "broadcast", "empty")
DTYPES = ("float32", "float64")


def _qualified(cls):
    return f"{cls.__module__}.{cls.__qualname__}"


# Run in a new process: importing every module binds each submodule's name on
# its package (``symbolic.tensor.var`` would hide the function ``T.var``) and
# may register rewrites, which must not leak into the other tests.
_WALK = """
import importlib, json, pkgutil
import symbolic
from symbolic.graph.op import Op
from symbolic.ops.scalar.basic import ScalarOp
for module in pkgutil.walk_packages(symbolic.__path__, "symbolic."):
    if not module.name.startswith(("symbolic.tests", "symbolic.theano_alias")):
        importlib.import_module(module.name)
def subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from subclasses(sub)
print(json.dumps({
    f"{c.__module__}.{c.__qualname__}": {
        "perform": c.perform is not Op.perform, "scalar": issubclass(c, ScalarOp)
    }
    for c in subclasses(Op) if c.__module__.startswith("symbolic.")
}))
"""


@functools.cache
def all_op_classes():
    """``{qualified name: {"perform": bool, "scalar": bool}}`` of every Op
    subclass defined in the package, all of its modules imported."""
    done = subprocess.run(
        [sys.executable, "-c", _WALK], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


# The backends: which op classes each lowers, how to compile for it, and
# whether a compiled node really runs the lowered code.
def _c_lowered():
    from symbolic.backends.c import lowering

    return set(lowering.LOWERINGS)


def _llvm_lowered():
    from symbolic.backends.llvm import thunks

    # Float reductions call numpy's ufuncs directly (thunks.reduce_thunk).
    return {Elemwise, Sum, Prod, Max, Min, SumOfElemwise, *thunks._FACTORIES}


def _py_lowered():
    return set(python_thunks._LOWERINGS)


def _c_runs_lowered(f, index):
    from symbolic.backends.c.lowering import KINDS

    vm = f.vm
    thunk = vm.thunks[index]
    return vm.kinds[index] != KINDS["PYTHON"] or thunk.__module__.startswith(
        "symbolic.backends.c."
    )


def _llvm_runs_lowered(f, index):
    return f.vm.thunks[index].__module__.startswith("symbolic.backends.llvm.")


def _py_runs_lowered(f, index):
    return f.vm.thunks[index].__qualname__ != "_generic_thunk.<locals>.thunk"


BACKENDS = {
    "c": (_c_lowered, "cvm", _c_runs_lowered),
    "llvm": (_llvm_lowered, "llvm", _llvm_runs_lowered),
    "py": (_py_lowered, "py", _py_runs_lowered),
}


# Representative graphs ------------------------------------------------------------
def rand(shape, dtype):
    return RNG.standard_normal(shape).astype(dtype)


def tensor(dtype, ndim, name, broadcastable=None):
    return T.TensorType(dtype, broadcastable or (False,) * ndim)(name)


def _elemwise(dtype, layout):
    if layout == "broadcast":
        x, y = tensor(dtype, 2, "x"), tensor(dtype, 2, "y", (True, False))
        values = [rand((3, 4), dtype), rand((1, 4), dtype)]
    else:
        x, y = tensor(dtype, 2, "x"), tensor(dtype, 2, "y")
        shape = (0, 4) if layout == "empty" else (3, 4)
        values = [rand(shape, dtype), rand(shape, dtype)]
    return [x, y], T.tanh(x) * y + 1.5, values


def _reduction(function):
    def case(dtype, layout):
        if layout == "broadcast":
            x = tensor(dtype, 3, "x", (False, True, False))
            value = rand((3, 1, 4), dtype)
        else:
            x = tensor(dtype, 3, "x")
            value = rand((3, 0, 4) if layout == "empty" else (3, 2, 4), dtype)
        if layout == "empty" and function in (T.max, T.min):
            return None  # numpy refuses an empty max
        return [x], function(x, axis=1), [value]

    return case


def _matrix_case(build, shapes, empty_shapes=None):
    """A case of float matrix/vector inputs of ``shapes``."""

    def case(dtype, layout):
        if layout == "broadcast":
            return None
        use = empty_shapes if layout == "empty" else shapes
        if use is None:
            return None
        inputs = [tensor(dtype, len(s), f"in{i}") for i, s in enumerate(use)]
        values = [rand(s, dtype) for s in use]
        return inputs, build(*inputs), values

    return case


def _scalar(value, dtype):
    return T.constant(numpy.asarray(value, dtype=dtype))


def _gemm(dtype, layout):
    shapes = {"empty": [(3, 0), (3, 4), (4, 0)]}.get(layout, [(3, 5), (3, 4), (4, 5)])
    if layout == "broadcast":
        return None
    z, x, y = (tensor(dtype, 2, n) for n in "zxy")
    out = blas.Gemm(False)(z, _scalar(0.5, dtype), x, y, _scalar(2.0, dtype))
    return [z, x, y], out, [rand(s, dtype) for s in shapes]


def _gemv(dtype, layout):
    if layout == "broadcast":
        return None
    n = 0 if layout == "empty" else 3
    y, A, x = tensor(dtype, 1, "y"), tensor(dtype, 2, "A"), tensor(dtype, 1, "x")
    out = blas.Gemv(False)(y, _scalar(0.5, dtype), A, x, _scalar(2.0, dtype))
    values = [rand((n,), dtype), rand((n, 4), dtype), rand((4,), dtype)]
    return [y, A, x], out, values


def _ger(dtype, layout):
    if layout == "broadcast":
        return None
    n = 0 if layout == "empty" else 3
    A, x, y = tensor(dtype, 2, "A"), tensor(dtype, 1, "x"), tensor(dtype, 1, "y")
    out = blas.Ger(False)(A, _scalar(0.5, dtype), x, y)
    return [A, x, y], out, [rand((n, 4), dtype), rand((n,), dtype), rand((4,), dtype)]


def _dot22scalar(dtype, layout):
    if layout == "broadcast":
        return None
    x, y = tensor(dtype, 2, "x"), tensor(dtype, 2, "y")
    shapes = [(3, 0), (0, 5)] if layout == "empty" else [(3, 4), (4, 5)]
    out = blas.Dot22Scalar()(x, y, _scalar(1.5, dtype))
    return [x, y], out, [rand(s, dtype) for s in shapes]


def _targets(n, classes):
    return numpy.arange(n, dtype="int32") % classes


def _softmax_family(build, bias=False, targets=False, grad=False):
    """A case of ``build(x, b, g, y)``: rows ``x``, bias ``b``, per-row ``g``
    and int32 targets ``y``, of which the flags say which it reads."""

    def case(dtype, layout):
        if layout == "broadcast":
            return None
        rows = 0 if layout == "empty" else 5
        x, b = tensor(dtype, 2, "x"), tensor(dtype, 1, "b")
        g, y = tensor(dtype, 1, "g"), T.ivector("y")
        given = [
            (grad, g, rand((rows,), dtype)),
            (True, x, rand((rows, 4), dtype) * 3),
            (bias, b, rand((4,), dtype)),
            (targets, y, _targets(rows, 4)),
        ]
        inputs = [var for used, var, _ in given if used]
        values = [value for used, _, value in given if used]
        return inputs, build(x, b, g, y), values

    return case


def _dimshuffle(dtype, layout):
    bcast = (False, True, False) if layout == "broadcast" else None
    x = tensor(dtype, 3, "x", bcast)
    shape = {"broadcast": (3, 1, 4), "empty": (3, 0, 4)}.get(layout, (3, 2, 4))
    out = x.dimshuffle(2, "x", 0, 1) if layout != "broadcast" else x.dimshuffle(2, 0)
    return [x], out, [rand(shape, dtype)]


def _reshape(dtype, layout):
    if layout == "broadcast":
        return None
    x = tensor(dtype, 2, "x")
    shape = (0, 4) if layout == "empty" else (3, 4)
    return [x], x.reshape((-1, 2)), [rand(shape, dtype)]


def _subtensor(dtype, layout):
    if layout == "broadcast":
        return None
    x = tensor(dtype, 2, "x")
    shape = (0, 4) if layout == "empty" else (5, 4)
    return [x], x[1::2, :-1], [rand(shape, dtype)]


def _alloc(dtype, layout):
    n = T.lscalar("n")
    if layout == "broadcast":
        v = tensor(dtype, 2, "v", (True, False))
        return [v, n], Alloc()(v, n, v.shape[1]), [rand((1, 3), dtype), 4]
    v = tensor(dtype, 1, "v")
    count = 0 if layout == "empty" else 4
    return [v, n], Alloc()(v, n, v.shape[0]), [rand((3,), dtype), count]


def _shape(dtype, layout):
    x = tensor(dtype, 2, "x")
    shape = (0, 3) if layout == "empty" else (2, 3)
    return [x], [x.shape, Shape_i(1)(x)], [rand(shape, dtype)]


def _makevector(dtype, layout):
    if layout != "dense":
        return None
    a, b = T.lscalar("a"), T.lscalar("b")
    return [a, b], MakeVector("int64")(a, b, a), [3, 5]


def _rebroadcast(dtype, layout):
    x = tensor(dtype, 2, "x")
    rows = 0 if layout == "empty" else 3
    return [x], Rebroadcast((1, True))(x), [rand((rows, 1), dtype)]


def _join(dtype, layout):
    if layout == "broadcast":
        return None
    x, y = tensor(dtype, 2, "x"), tensor(dtype, 2, "y")
    rows = 0 if layout == "empty" else 3
    return [x, y], T.join(1, x, y), [rand((rows, 2), dtype), rand((rows, 3), dtype)]


def _conv(which):
    def case(dtype, layout):
        if layout in ("broadcast", "empty"):
            return None
        img, kern, top = (tensor(dtype, 4, n) for n in ("img", "kern", "top"))
        values = {
            "img": rand((2, 3, 6, 6), dtype),
            "kern": rand((4, 3, 3, 3), dtype),
            "top": rand((2, 4, 4, 4), dtype),
        }
        if which == "forward":
            inputs, out = [img, kern], conv2d(img, kern)
        elif which == "inputs":
            inputs = [top, kern]
            out = conv2d_grad_wrt_inputs(top, kern, (2, 3, 6, 6))
        else:
            inputs = [img, top]
            out = conv2d_grad_wrt_weights(img, top, (4, 3, 3, 3))
        return inputs, out, [values[v.name] for v in inputs]

    return case


def _pool(which):
    def case(dtype, layout):
        if layout == "broadcast":
            return None
        x, gz = tensor(dtype, 4, "x"), tensor(dtype, 4, "gz")
        batch = 0 if layout == "empty" else 2
        xv = rand((batch, 3, 6, 6), dtype)
        if which == "pool":
            return [x], pool_2d(x, (2, 2), ignore_border=True), [xv]
        gzv = rand((batch, 3, 3, 3), dtype)
        if which == "max":
            pooled = pool_2d(x, (2, 2), ignore_border=True)
            out = MaxPoolGrad(True)(x, pooled, gz, (2, 2), (2, 2), (0, 0))
        else:
            out = AveragePoolGrad(True, mode="average_inc_pad")(
                x, gz, (2, 2), (2, 2), (0, 0)
            )
        return [x, gz], out, [xv, gzv]

    return case


def _batch_norm(which):
    """x (batch, 4) normalized over the batch; parameters (1, 4), or (1, 1)
    broadcast over the channels too."""

    def case(dtype, layout):
        if layout == "empty" and which != "inference":
            # numpy warns on the mean of no cell: test_bn_lowering checks these.
            return None
        pattern = (True, True) if layout == "broadcast" else (True, False)
        small = (1, 1) if layout == "broadcast" else (1, 4)
        x, dy = tensor(dtype, 2, "x"), tensor(dtype, 2, "dy")
        a, b, c, d = (tensor(dtype, 2, n, pattern) for n in "abcd")
        eps = numpy.asarray(1e-4)
        batch = 0 if layout == "empty" else 5
        values = {
            "x": rand((batch, 4), dtype),
            "dy": rand((batch, 4), dtype),
            **{n: rand(small, dtype) for n in "abc"},
            "d": RNG.random(small).astype(dtype) + 0.5,
        }
        if which == "train":
            inputs = [x, a, b, c, d]
            out = list(AbstractBatchNormTrain((0,))(x, a, b, eps, 0.1, c, d))
        elif which == "inference":
            inputs = [x, a, b, c, d]
            out = AbstractBatchNormInference((0,))(x, a, b, c, d, eps)
        else:
            inputs = [x, dy, a, c, d]
            out = list(AbstractBatchNormTrainGrad((0,))(x, dy, a, c, d, eps))
        return inputs, out, [values[v.name] for v in inputs]

    return case


def _scan(dtype, layout):
    if layout == "broadcast":
        return None
    xs, h0, W = tensor(dtype, 2, "xs"), tensor(dtype, 1, "h0"), tensor(dtype, 2, "W")
    states, _ = scan(
        lambda x, h, w: T.tanh(T.dot(h, w) + x),
        sequences=[xs],
        outputs_info=[h0],
        non_sequences=[W],
    )
    steps = 0 if layout == "empty" else 4
    values = [rand((steps, 3), dtype), rand((3,), dtype), rand((3, 3), dtype) * 0.5]
    return [xs, h0, W], states, values


def _sum_of_elemwise(dtype, layout):
    made = _elemwise(dtype, layout)
    [x, y], _, values = made
    op = SumOfElemwise(T.mul(x, y).owner.op, Sum(axis=None))
    return [x, y], op(T.tanh(x), y), values


def _mrg_uniform(dtype, layout):
    if layout != "dense":
        return None
    rng = MRG_RandomStreams(seed=99)
    return [], rng.uniform(size=(5, 7), dtype=dtype), []


CASES = {
    "Elemwise": _elemwise,
    "Sum": _reduction(T.sum),
    "Prod": _reduction(T.prod),
    "Max": _reduction(T.max),
    "Min": _reduction(T.min),
    "SumOfElemwise": _sum_of_elemwise,
    "Dot": _matrix_case(T.dot, [(3, 4), (4,)], [(0, 4), (4,)]),
    "Dot22": _matrix_case(blas.Dot22(), [(3, 4), (4, 5)], [(3, 0), (0, 5)]),
    "Dot22Scalar": _dot22scalar,
    "Gemm": _gemm,
    "Gemv": _gemv,
    "Ger": _ger,
    "Softmax": _softmax_family(lambda x, b, g, y: nnet.softmax_op(x)),
    "LogSoftmax": _softmax_family(lambda x, b, g, y: nnet.logsoftmax_op(x)),
    "SoftmaxWithBias": _softmax_family(
        lambda x, b, g, y: nnet.softmax_with_bias(x, b), bias=True
    ),
    "SoftmaxGrad": _softmax_family(
        lambda x, b, g, y: nnet.softmax_grad(x * 0.5, nnet.softmax_op(x))
    ),
    "CrossentropySoftmaxArgmax1HotWithBias": _softmax_family(
        lambda x, b, g, y: list(ce.crossentropy_softmax_argmax_1hot_with_bias(x, b, y)),
        bias=True,
        targets=True,
    ),
    "CrossentropySoftmax1HotWithBiasDx": _softmax_family(
        lambda x, b, g, y: ce.crossentropy_softmax_1hot_with_bias_dx(
            g, nnet.softmax_op(x), y
        ),
        targets=True,
        grad=True,
    ),
    "CrossentropyCategorical1Hot": _softmax_family(
        lambda x, b, g, y: ce.crossentropy_categorical_1hot(nnet.softmax_op(x), y),
        targets=True,
    ),
    "CrossentropyCategorical1HotGrad": _softmax_family(
        lambda x, b, g, y: ce.crossentropy_categorical_1hot_grad(
            g, nnet.softmax_op(x), y
        ),
        targets=True,
        grad=True,
    ),
    "DimShuffle": _dimshuffle,
    "Reshape": _reshape,
    "Subtensor": _subtensor,
    "Alloc": _alloc,
    "Shape": _shape,
    "Shape_i": _shape,
    "MakeVector": _makevector,
    "Rebroadcast": _rebroadcast,
    "Join": _join,
    "AbstractConv2d": _conv("forward"),
    "AbstractConv2d_gradInputs": _conv("inputs"),
    "AbstractConv2d_gradWeights": _conv("weights"),
    "Pool": _pool("pool"),
    "MaxPoolGrad": _pool("max"),
    "AveragePoolGrad": _pool("average"),
    "AbstractBatchNormTrain": _batch_norm("train"),
    "AbstractBatchNormInference": _batch_norm("inference"),
    "AbstractBatchNormTrainGrad": _batch_norm("grad"),
    "Scan": _scan,
    "mrg_uniform": _mrg_uniform,
}


# The walk ----------------------------------------------------------------------------
def test_every_op_class_lowers_or_falls_back_to_its_perform():
    classes = all_op_classes()
    assert set(ABSTRACT) <= set(classes), set(ABSTRACT) - set(classes)
    no_perform = sorted(
        name
        for name, info in classes.items()
        if not info["perform"] and not info["scalar"] and name not in ABSTRACT
    )
    assert not no_perform, f"ops with no perform to fall back to: {no_perform}"
    for backend, (lowered, _, _) in BACKENDS.items():
        stale = {_qualified(cls) for cls in lowered()} - set(classes)
        assert not stale, f"{backend} lowers classes the package lacks: {stale}"


@pytest.mark.parametrize("backend", sorted(BACKENDS))
def test_every_lowered_op_class_has_a_conformance_case(backend):
    lowered, _, _ = BACKENDS[backend]
    missing = sorted(cls.__name__ for cls in lowered() if cls.__name__ not in CASES)
    assert not missing, f"{backend}: lowered ops with no case in CASES: {missing}"


def _strided(value):
    """The same values as a non-contiguous view (every other element)."""
    if not isinstance(value, numpy.ndarray) or value.ndim == 0:
        return value
    wide = numpy.zeros((*value.shape[:-1], 2 * value.shape[-1]), value.dtype)
    wide[..., ::2] = value
    view = wide[..., ::2]
    assert value.size <= 1 or not view.flags.c_contiguous
    return view


def _compile(inputs, outputs, linker):
    mode = Mode(linker=linker, optimizer=None)
    with change_flags(compile__background=False):
        # No default updates: a sampler's state stays put between the two runs.
        return symbolic.function(inputs, outputs, mode=mode, no_default_updates=True)


def _reference(inputs, outputs, monkeypatch):
    with monkeypatch.context() as patch:
        patch.setattr(python_thunks, "_LOWERINGS", {})
        return _compile(inputs, outputs, "py")


def _node_index(f, name):
    for index, node in enumerate(f.vm.nodes):
        if type(node.op).__name__ == name:
            return index
    raise AssertionError(f"no {name} node in {[str(n.op) for n in f.vm.nodes]}")


def _runs(f, values):
    copies = [numpy.copy(v) if isinstance(v, numpy.ndarray) else v for v in values]
    out = f(*copies)
    return out if isinstance(out, list) else [out]


def _case_params():
    params = []
    for backend, (lowered, _, _) in BACKENDS.items():
        names = {cls.__name__ for cls in lowered()}
        params += [(backend, name) for name in sorted(names & set(CASES))]
    return params


@pytest.mark.parametrize(("backend", "name"), _case_params())
def test_lowered_op_matches_perform(backend, name, monkeypatch):
    _, linker, runs_lowered = BACKENDS[backend]
    if backend == "c" and not runtime.available():
        pytest.skip("the C runtime cannot be built here")
    if backend == "c" and not config.cxx:
        pytest.skip("cxx is empty: the C backend's kernels cannot be built")
    if backend == "llvm":
        pytest.importorskip("llvmlite", reason="the LLVM backend needs llvmlite")
    checked = 0
    for dtype in DTYPES:
        for layout in LAYOUTS:
            made = CASES[name](dtype, "dense" if layout == "strided" else layout)
            if made is None:
                continue
            inputs, outputs, values = made
            if layout == "strided":
                values = [_strided(v) for v in values]
            f = _compile(inputs, outputs, linker)
            assert runs_lowered(f, _node_index(f, name)), (backend, name, layout)
            got = _runs(f, values)
            want = _runs(_reference(inputs, outputs, monkeypatch), values)
            for g, w in zip(got, want):
                g, w = numpy.asarray(g), numpy.asarray(w)
                assert g.dtype == w.dtype and g.shape == w.shape, (layout, dtype)
                tol = 1e-5 if dtype == "float32" else 1e-12
                numpy.testing.assert_allclose(
                    g, w, rtol=tol, atol=tol, err_msg=f"{layout} {dtype}"
                )
            checked += 1
    assert checked >= 2
