"""Composite: a small graph of scalar ops evaluated as one scalar op.

Fusion turns a tree of elementwise nodes into one ``Elemwise(Composite)``
node, so a backend renders one loop from :meth:`Composite.expression` and the
intermediates never touch memory.

The inner graph is flat data, so the op hashes, compares and pickles by
value: ``in_dtypes`` (one per input), ``constants`` (``(value, dtype)``
pairs), ``nodes`` (``(scalar_op, arg_refs, out_dtype)`` in evaluation order)
and ``outputs`` (refs). A ref indexes the value table: inputs first, then
constants, then one slot per node.
"""

import numpy

from symbolic.ops.scalar import expr as E
from symbolic.ops.scalar.basic import ScalarOp


class Composite(ScalarOp):
    """A scalar graph applied as one scalar op (several outputs allowed).

    Parameters
    ----------
    in_dtypes : sequence of str
        The dtype of each input.
    constants : sequence of (number, str)
        Scalar constants of the graph with their dtypes.
    nodes : sequence of (ScalarOp, sequence of int, str)
        Each inner node: a single-output scalar op, the refs of its
        arguments and its output dtype, in an order where every argument is
        computed before it is used.
    outputs : sequence of int
        The refs of the outputs.

    Notes
    -----
    Not differentiable: it is created by rewrites after ``grad`` ran.
    Not in place by itself; ``Elemwise(Composite, inplace_pattern)`` is.

    Examples
    --------
    >>> from symbolic.ops.scalar import basic as sb, math as sm
    >>> op = Composite(
    ...     ["float64", "float64"], [],
    ...     [(sb.Add(), (0, 1), "float64"), (sm.Tanh(), (2,), "float64")],
    ...     [3])
    >>> str(op)
    'Composite{add,tanh}'
    >>> float(op.impl(numpy.float64(0.25), numpy.float64(0.25)))  # doctest: +ELLIPSIS
    0.462...
    """

    __props__ = ("in_dtypes", "constants", "nodes", "outputs")

    def __init__(self, in_dtypes, constants, nodes, outputs):
        self.in_dtypes = tuple(str(numpy.dtype(d)) for d in in_dtypes)
        self.constants = tuple((value, str(numpy.dtype(d))) for value, d in constants)
        self.nodes = tuple(
            (op, tuple(int(r) for r in refs), str(numpy.dtype(d)))
            for op, refs, d in nodes
        )
        self.outputs = tuple(int(r) for r in outputs)
        self._check()
        self.nin = len(self.in_dtypes)
        self.nout = len(self.outputs)
        self.name = "Composite{" + ",".join(str(op) for op, _, _ in self.nodes) + "}"

    def _check(self):
        n_known = len(self.in_dtypes) + len(self.constants)
        for op, refs, _ in self.nodes:
            if getattr(op, "nout", 1) != 1:
                raise ValueError(f"Composite: inner op {op} must have one output")
            if any(not 0 <= r < n_known for r in refs):
                raise ValueError(
                    f"Composite: {op} uses refs {refs}, but only {n_known} values "
                    "are computed before it"
                )
            n_known += 1
        if not self.outputs or any(not 0 <= r < n_known for r in self.outputs):
            raise ValueError(
                f"Composite: output refs {self.outputs} must index the "
                f"{n_known} values of the graph"
            )

    def __setstate__(self, state):
        self.__dict__.update(state)

    # Types ------------------------------------------------------------------------
    def _dtypes(self):
        """The dtype of every slot of the value table."""
        return (
            list(self.in_dtypes)
            + [d for _, d in self.constants]
            + [d for _, _, d in self.nodes]
        )

    def output_types(self, in_dtypes):
        in_dtypes = tuple(str(d) for d in in_dtypes)
        if in_dtypes != self.in_dtypes:
            raise TypeError(
                f"{self} was built for input dtypes {self.in_dtypes}, got {in_dtypes}"
            )
        dtypes = self._dtypes()
        return tuple(dtypes[r] for r in self.outputs)

    # Semantics ----------------------------------------------------------------------
    def impl(self, *inputs):
        """Evaluate the inner graph on numpy arrays (or scalars)."""
        table = list(inputs)
        table += [numpy.asarray(v, dtype=d) for v, d in self.constants]
        for op, refs, dtype in self.nodes:
            result = op.impl(*[table[r] for r in refs])
            if getattr(result, "dtype", None) != dtype:
                result = numpy.asarray(result).astype(dtype, copy=False)
            table.append(result)
        results = tuple(table[r] for r in self.outputs)
        return results[0] if self.nout == 1 else results

    def expression(self, args, in_dtypes, out_dtypes):
        """Compose the inner ops' expressions into one Expr per output."""
        table = list(args)
        table += [E.const(v, d) for v, d in self.constants]
        dtypes = self._dtypes()
        for op, refs, dtype in self.nodes:
            (result,) = op.expression(
                [table[r] for r in refs], [dtypes[r] for r in refs], (dtype,)
            )
            table.append(result)
        outs = []
        for ref, dtype in zip(self.outputs, out_dtypes):
            result = table[ref]
            if result.dtype != dtype:
                result = E.call("cast", dtype, result)
            outs.append(result)
        return tuple(outs)

    def L_op(self, inputs, outputs, output_grads):
        raise NotImplementedError(
            f"{self} has no gradient: fusion runs after the gradient is built"
        )

    def __str__(self):
        return self.name

    def __repr__(self):
        return self.name

    def __eq__(self, other):
        return type(self) is type(other) and self._props() == other._props()

    def __hash__(self):
        return hash((type(self), self._props()))


class CompositeBuilder:
    """Collects inputs, constants and inner nodes, then makes a Composite.

    Values are named by handles ``('i', k)``, ``('c', k)`` and ``('n', k)``,
    so inputs and constants may be added in any order; :meth:`build` turns
    them into refs of the value table.
    """

    def __init__(self):
        self.in_dtypes = []
        self.constants = []
        self._constant_index = {}
        self.nodes = []

    def add_input(self, dtype):
        self.in_dtypes.append(str(dtype))
        return ("i", len(self.in_dtypes) - 1)

    def add_constant(self, value, dtype):
        key = (repr(value), str(dtype))
        if key not in self._constant_index:
            self.constants.append((value, str(dtype)))
            self._constant_index[key] = len(self.constants) - 1
        return ("c", self._constant_index[key])

    def add_node(self, op, args, dtype):
        """Add ``op(*args)`` and return its handle (a list for an inlined Composite)."""
        if isinstance(op, Composite):
            local = list(args)
            local += [self.add_constant(v, d) for v, d in op.constants]
            for inner, refs, out_dtype in op.nodes:
                local.append(self.add_node(inner, [local[r] for r in refs], out_dtype))
            return [local[r] for r in op.outputs]
        self.nodes.append((op, tuple(args), str(dtype)))
        return ("n", len(self.nodes) - 1)

    def build(self, outputs):
        """Return the Composite whose outputs are the handles ``outputs``."""
        n_in = len(self.in_dtypes)
        offset = {"i": 0, "c": n_in, "n": n_in + len(self.constants)}

        def ref(handle):
            kind, k = handle
            return offset[kind] + k

        nodes = [(op, [ref(a) for a in args], d) for op, args, d in self.nodes]
        return Composite(
            self.in_dtypes, self.constants, nodes, [ref(h) for h in outputs]
        )
