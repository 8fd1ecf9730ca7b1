"""Turn uniform samples into multinomial draws or index choices.

These ops hold no randomness: ``MRG_RandomStreams.multinomial`` and
``choice`` feed them MRG31k3p uniforms.
"""

import numpy

from symbolic.graph.basic import Apply
from symbolic.graph.op import Op
from symbolic.ops import as_tensor_variable, cast
from symbolic.ops.reshaping import disconnected, zero_grad
from symbolic.types import dtypes as dt
from symbolic.types.tensor import TensorType

__all__ = ["ChoiceFromUniform", "MultinomialFromUniform"]


def _check_inputs(name, pvals, unis, n):
    if pvals.ndim != 2:
        raise NotImplementedError(
            f"{name}: pvals {pvals} must be a matrix, got {pvals.type}"
        )
    if unis.ndim != 1:
        raise NotImplementedError(
            f"{name}: unis {unis} must be a vector, got {unis.type}"
        )
    if n.ndim != 0 or n.dtype not in dt.integer_dtypes:
        raise TypeError(f"{name}: n {n} must be an integer scalar, got {n.type}")


class MultinomialFromUniform(Op):
    """Count ``n`` multinomial draws per row of ``pvals`` from uniforms.

    Inputs ``(pvals, unis, n)``: pvals is (rows, k), unis has rows * n
    entries.  Draw c of row i picks the first column whose running sum
    (in float64) exceeds ``unis[c * rows + i]``; the output counts the picks
    per column, with pvals' shape.  Its gradient is zero (the draws are
    piecewise constant).

    Parameters
    ----------
    odtype : str
        The output dtype; 'auto' means pvals' dtype.
    """

    __props__ = ("odtype",)

    def __init__(self, odtype):
        self.odtype = odtype

    def __str__(self):
        return f"{type(self).__name__}{{{self.odtype}}}"

    def _out_dtype(self, pvals):
        return pvals.dtype if self.odtype == "auto" else self.odtype

    def make_node(self, pvals, unis, n=1):
        pvals = as_tensor_variable(pvals)
        unis = as_tensor_variable(unis)
        n = as_tensor_variable(n)
        _check_inputs(type(self).__name__, pvals, unis, n)
        out = TensorType(self._out_dtype(pvals), pvals.broadcastable)()
        return Apply(self, [pvals, unis, n], [out])

    def perform(self, node, inputs, output_storage):
        pvals, unis, n = inputs
        n = int(n)
        rows = pvals.shape[0]
        if unis.shape[0] != rows * n:
            raise ValueError(
                f"{type(self).__name__}: {unis.shape[0]} uniforms for {rows} rows "
                f"and n={n} (expected {rows * n})"
            )
        out = numpy.zeros(pvals.shape, dtype=node.outputs[0].dtype)
        if rows and n:
            cumsum = numpy.cumsum(pvals, axis=1, dtype="float64")
            draws = unis.reshape(n, rows).astype("float64")
            # First column whose running sum exceeds u; a u beyond the row's
            # total picks nothing, as a scan over the columns would.
            picks = (cumsum[None, :, :] <= draws[:, :, None]).sum(axis=2)
            for c in range(n):
                hit = picks[c] < pvals.shape[1]
                out[numpy.nonzero(hit)[0], picks[c][hit]] += 1
        output_storage[0][0] = out

    def infer_shape(self, fgraph, node, input_shapes):
        return [input_shapes[0]]

    def L_op(self, inputs, outputs, output_grads):
        return [zero_grad(inputs[0]), zero_grad(inputs[1]), disconnected()]

    def connection_pattern(self, node):
        return [[True], [True], [False]]


class ChoiceFromUniform(MultinomialFromUniform):
    """Pick ``n`` column indices per row of ``p`` from uniforms.

    Inputs ``(p, unis, n)``; the output is (rows, n) indices.  Draw c of row
    i picks the first column whose running sum exceeds
    ``unis[c * rows + i]``; without replacement the picked probability is
    then zeroed and the row renormalized.  Not differentiable (zero gradient).

    Parameters
    ----------
    odtype : str
        The index dtype; 'auto' means int64.
    replace : bool
    """

    __props__ = ("odtype", "replace")

    def __init__(self, odtype, replace=False):
        super().__init__(odtype)
        self.replace = replace

    def _out_dtype(self, pvals):
        return "int64" if self.odtype == "auto" else self.odtype

    def make_node(self, pvals, unis, n=1):
        pvals = as_tensor_variable(pvals)
        unis = as_tensor_variable(unis)
        n = as_tensor_variable(n)
        _check_inputs(type(self).__name__, pvals, unis, n)
        out = TensorType(self._out_dtype(pvals), (pvals.broadcastable[0], False))()
        return Apply(self, [pvals, unis, n], [out])

    def perform(self, node, inputs, output_storage):
        pvals, unis, n = inputs
        n = int(n)
        rows, cols = pvals.shape
        if n > cols and not self.replace:
            raise ValueError(
                f"{type(self).__name__}: cannot draw {n} samples without "
                f"replacement from {cols} outcomes"
            )
        if unis.shape[0] != rows * n:
            raise ValueError(
                f"{type(self).__name__}: {unis.shape[0]} uniforms for {rows} rows "
                f"and n={n} (expected {rows * n})"
            )
        p = numpy.array(pvals, dtype=pvals.dtype)
        out = numpy.full((rows, n), -1, dtype=node.outputs[0].dtype)
        for c in range(n):
            for i in range(rows):
                u = unis[c * rows + i]
                running = numpy.cumsum(p[i], dtype="float64")
                hits = numpy.nonzero(running > u)[0]
                if not len(hits):
                    continue
                m = hits[0]
                out[i, c] = m
                if not self.replace and c < n - 1:
                    p[i, m] = 0
                    p[i] /= p[i].sum()
        output_storage[0][0] = out

    def infer_shape(self, fgraph, node, input_shapes):
        return [(input_shapes[0][0], cast(node.inputs[2], "int64"))]
