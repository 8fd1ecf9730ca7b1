"""The ``mrg_uniform`` op: MRG31k3p samples from a state matrix and a size.

``MRG_RandomStreams`` (in :mod:`symbolic.random.mrg`) builds these; the
numbers come from :mod:`symbolic.random.mrg_kernel`.
"""

import numpy

from symbolic.gradient import grad_undefined
from symbolic.graph.basic import Apply, Constant, Variable
from symbolic.graph.op import Op
from symbolic.ops import as_tensor_variable, cast, get_vector_length
from symbolic.ops.basic import MakeVector
from symbolic.random import mrg_kernel
from symbolic.types import dtypes as dt
from symbolic.types.tensor import TensorType

__all__ = ["mrg_uniform", "size_vector"]

_BAD_SIZE = (
    "size must be a tuple of positive ints and integer scalar variables, or "
    "an integer vector variable"
)


class mrg_uniform(Op):
    """Draw uniform samples in (0, 1) with MRG31k3p.

    Inputs ``(rstate, size)``: an (n_streams, 6) int32 state matrix and an
    integer vector giving the sample's shape.  Outputs ``(new_rstate,
    sample)``.  Sample element i (C order) is stream ``i % n_streams``'s next
    value.  No gradient (sampling is not differentiable).  With
    ``inplace=True`` the state input is overwritten.

    Parameters
    ----------
    output_type : TensorType
        The sample's type (its dtype and ndim are what matter).
    inplace : bool
    """

    __props__ = ("output_type", "inplace")

    def __init__(self, output_type, inplace=False):
        self.output_type = output_type
        self.inplace = inplace
        if inplace:
            self.destroy_map = {0: [0]}

    def __str__(self):
        mode = "inplace" if self.inplace else "no_inplace"
        return f"{type(self).__name__}{{{self.output_type},{mode}}}"

    @classmethod
    def new(cls, rstate, ndim, dtype, size):
        """Return ``(new_rstate, sample)`` for ``size`` (a tuple or int vector)."""
        size_var = size_vector(size)
        if ndim is None:
            ndim = get_vector_length(size_var)
        op = cls(TensorType(dtype, (False,) * ndim))
        return op(rstate, size_var)

    def make_node(self, rstate, size):
        rstate = as_tensor_variable(rstate)
        size = as_tensor_variable(size)
        if rstate.ndim != 2 or rstate.dtype != "int32":
            raise TypeError(
                f"mrg_uniform: the state {rstate} must be an int32 matrix, "
                f"got {rstate.type}"
            )
        if size.ndim != 1 or size.dtype not in dt.integer_dtypes:
            raise TypeError(
                f"mrg_uniform: size {size} must be an integer vector, got {size.type}"
            )
        ndim = self.output_type.ndim
        entries = _constant_entries(size)
        if entries is not None and len(entries) != ndim:
            raise ValueError(
                f"mrg_uniform: size {size} has {len(entries)} entries but the "
                f"output type {self.output_type} has {ndim} dimensions"
            )
        if entries is None:
            entries = [None] * ndim
        bcast = tuple(e == 1 for e in entries)
        sample = TensorType(self.output_type.dtype, bcast)()
        return Apply(self, [rstate, size], [rstate.type(), sample])

    def perform(self, node, inputs, output_storage):
        state, shape, n = self.prepare_draw(*inputs)
        sample = mrg_kernel.uniform(state, n, self.output_type.dtype)
        output_storage[0][0] = state
        output_storage[1][0] = sample.reshape(shape)

    def prepare_draw(self, rstate, size):
        """Check the input values; return ``(state, shape, n)`` for a draw.

        ``state`` is the (n_streams, 6) C-contiguous int32 matrix to advance:
        ``rstate`` itself when the op works in place and it fits, else a copy.
        Every backend's kernel goes through this, so errors read the same.
        """
        ndim = self.output_type.ndim
        if len(size) != ndim:
            raise ValueError(
                f"mrg_uniform: size {tuple(size)} has {len(size)} entries, "
                f"expected {ndim}"
            )
        shape = tuple(int(s) for s in size)
        if any(s < 0 for s in shape):
            raise ValueError(f"mrg_uniform: negative dimension in size {shape}")
        n = 1
        for s in shape:
            n *= s
        if n > mrg_kernel.MAX_SAMPLES:
            raise ValueError(
                f"mrg_uniform: {n} samples requested for size {shape}; MRG31k3p "
                f"draws at most 2**31 - 1 per call"
            )
        if rstate.ndim != 2 or rstate.shape[1] != 6:
            raise ValueError(
                f"mrg_uniform: the state must have shape (n_streams, 6), got "
                f"{rstate.shape}"
            )
        if self.inplace and rstate.flags.c_contiguous and rstate.dtype == "int32":
            state = rstate
        else:
            state = numpy.array(rstate, dtype="int32", order="C")
        return state, shape, n

    def infer_shape(self, fgraph, node, input_shapes):
        size = node.inputs[1]
        return [input_shapes[0], tuple(size[i] for i in range(self.output_type.ndim))]

    def L_op(self, inputs, outputs, output_grads):
        return [
            grad_undefined(self, k, inp, "no gradient through random sampling")
            for k, inp in enumerate(inputs)
        ]

    def R_op(self, inputs, eval_points):
        return [None, None]

    def do_constant_folding(self, fgraph, node):
        return False


def _constant_entries(size):
    """The entries of integer vector ``size`` as ints (None where symbolic)."""
    if isinstance(size, Constant):
        return [int(v) for v in numpy.asarray(size.data).reshape(-1)]
    if size.owner is not None and isinstance(size.owner.op, MakeVector):
        return [
            int(v.data) if isinstance(v, Constant) else None for v in size.owner.inputs
        ]
    return None


def size_vector(size):
    """Turn a size tuple (ints or integer scalars) or vector into an int vector."""
    if isinstance(size, Variable):
        size = as_tensor_variable(size)
        if size.ndim != 1 or size.dtype not in dt.integer_dtypes:
            raise TypeError(f"{_BAD_SIZE}; got {size} of type {size.type}")
        return size
    if not isinstance(size, (tuple, list)):
        raise TypeError(f"{_BAD_SIZE}; got {size!r} of type {type(size).__name__}")
    for entry in size:
        if isinstance(entry, Variable):
            if entry.ndim != 0 or entry.dtype not in dt.integer_dtypes:
                raise TypeError(
                    f"{_BAD_SIZE}; entry {entry} of size {size} has type {entry.type}"
                )
        elif isinstance(entry, (int, numpy.integer)) and not isinstance(entry, bool):
            if entry <= 0:
                raise ValueError(
                    f"size {size} has a dimension <= 0 ({entry}); every dimension "
                    f"must be positive"
                )
        else:
            raise TypeError(f"{_BAD_SIZE}; got entry {entry!r} in size {size}")
    if all(not isinstance(e, Variable) for e in size):
        return as_tensor_variable(numpy.asarray(size, dtype="int64").reshape(-1))
    return MakeVector("int64")(*[cast(as_tensor_variable(e), "int64") for e in size])
