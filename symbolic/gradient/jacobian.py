"""jacobian and hessian: gradients of every entry of a vector expression."""

import numpy

from symbolic.gradient.grad import grad
from symbolic.graph.basic import Apply, Constant, compile_function
from symbolic.graph.op import Op
from symbolic.graph.traversal import graph_inputs
from symbolic.types.tensor import TensorType, as_tensor_variable


class IndexMap(Op):
    """Evaluate an inner graph for ``i = 0 .. n-1`` and stack the results.

    Inputs are ``n`` followed by the inner graph's free variables; the inner
    graph is compiled once, on first use. This is how ``jacobian`` loops over
    the rows of a vector whose length is known only at run time.
    """

    __props__ = ("index", "inner_output")

    def __init__(self, index, free, inner_output):
        self.index = index
        self.free = tuple(free)
        self.inner_output = inner_output
        self._fn = None

    def __getstate__(self):
        state = dict(self.__dict__)
        state["_fn"] = None
        return state

    def make_node(self, n, *free):
        n = as_tensor_variable(n)
        out = TensorType(
            self.inner_output.dtype, (False, *self.inner_output.broadcastable)
        )()
        return Apply(self, [n, *free], [out])

    def perform(self, node, inputs, output_storage):
        if self._fn is None:
            self._fn = compile_function(
                [self.index, *self.free], self.inner_output, on_unused_input="ignore"
            )
        n, *free = inputs
        rows = [
            self._fn(numpy.asarray(i, dtype=self.index.dtype), *free)
            for i in range(int(n))
        ]
        if rows:
            result = numpy.stack(rows)
        else:
            result = numpy.zeros((0,), dtype=self.inner_output.dtype)
        output_storage[0][0] = result.astype(node.outputs[0].dtype, copy=False)


def _map_over_rows(expression, make_row):
    """Stack ``make_row(expression[i])`` for every i, looping at run time."""
    import symbolic.ops as T

    index = TensorType("int64", ())("i")
    row = make_row(expression[index])
    free = [
        v
        for v in graph_inputs([row])
        if v is not index
        and not isinstance(v, Constant)
        and not hasattr(v, "container")
    ]
    n = T.shape(expression)[0]
    return IndexMap(index, free, row)(n, *free)


def jacobian(expression, wrt, consider_constant=None, disconnected_inputs="raise"):
    """Return the Jacobian of vector ``expression`` with respect to ``wrt``.

    Parameters
    ----------
    expression : vector (or scalar) Variable
    wrt : Variable or list of Variables

    Returns
    -------
    Variable or list: one array per ``wrt`` of shape ``expression.shape + wrt.shape``.
    """
    expression = as_tensor_variable(expression)
    single = not isinstance(wrt, (list, tuple))
    wrt_list = [wrt] if single else list(wrt)
    if expression.ndim == 0:
        result = grad(
            expression,
            wrt_list,
            consider_constant=consider_constant,
            disconnected_inputs=disconnected_inputs,
        )
        return result[0] if single else result
    if expression.ndim != 1:
        raise TypeError(
            f"jacobian expects a vector expression, got {expression.ndim} dims; "
            "flatten it first"
        )
    result = []
    for var in wrt_list:

        def row_grad(entry, var=var):
            return grad(
                entry,
                var,
                consider_constant=consider_constant,
                disconnected_inputs=disconnected_inputs,
            )

        result.append(_map_over_rows(expression, row_grad))
    return result[0] if single else result


def hessian(cost, wrt, consider_constant=None, disconnected_inputs="raise"):
    """Return the Hessian of scalar ``cost`` with respect to each vector in ``wrt``."""
    cost = as_tensor_variable(cost)
    if cost.ndim != 0:
        raise TypeError(f"hessian: cost must be a scalar, got ndim {cost.ndim}")
    single = not isinstance(wrt, (list, tuple))
    wrt_list = [wrt] if single else list(wrt)
    result = []
    for var in wrt_list:
        if var.ndim != 1:
            raise TypeError(f"hessian: {var} must be a vector, got ndim {var.ndim}")
        g = grad(
            cost,
            var,
            consider_constant=consider_constant,
            disconnected_inputs=disconnected_inputs,
        )
        result.append(
            jacobian(
                g,
                var,
                consider_constant=consider_constant,
                disconnected_inputs=disconnected_inputs,
            )
        )
    return result[0] if single else result
