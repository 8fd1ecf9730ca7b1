"""The nodes of the IR: Variable, Constant and Apply."""

from symbolic.graph.utils import ValidatingScratchpad, next_auto_id, scratchpad
from symbolic.utils.hooks import Hook

#: ``compile_function(inputs, outputs, **kwargs)``: Theano's ``function``, for
#: the graph-level conveniences that run a graph (``Variable.eval``,
#: ``verify_grad``, ops with an inner graph). ``symbolic.compile`` installs it.
compile_function = Hook("compiling a graph (Variable.eval...)", "symbolic.compile")


class Node:
    """Common base of Variable and Apply (the two kinds of graph node)."""

    def get_parents(self):
        raise NotImplementedError


class Variable(Node):
    """A symbolic value: the input or output of an Apply, or a graph leaf.

    Parameters
    ----------
    type : Type
        What values the variable holds.
    owner : Apply or None
        The application that computes it; None for leaves.
    index : int or None
        Its position in ``owner.outputs``.
    name : str or None
        A user-facing name, used in printing and error messages.

    Notes
    -----
    Equality and hashing are by identity, so variables are dict keys.
    ``tag`` is a free namespace (Blocks keeps roles and annotations there).
    """

    __count__ = 0

    def __init__(self, type, owner=None, index=None, name=None):
        self.tag = ValidatingScratchpad("test_value", type.filter)
        self.type = type
        if owner is not None and not isinstance(owner, Apply):
            raise TypeError(f"owner must be an Apply, got {owner!r}")
        self.owner = owner
        if index is not None and not isinstance(index, int):
            raise TypeError(f"index must be an int, got {index!r}")
        self.index = index
        if name is not None and not isinstance(name, str):
            raise TypeError(f"name must be a string, got {name!r}")
        self.name = name
        self.auto_name = f"auto_{next_auto_id()}"

    def __str__(self):
        if self.name is not None:
            return self.name
        if self.owner is not None:
            op = self.owner.op
            if self.index == getattr(op, "default_output", None):
                return f"{op}.out"
            return f"{op}.{self.index}"
        return f"<{self.type}>"

    def __repr__(self):
        return str(self)

    def get_parents(self):
        return [self.owner] if self.owner is not None else []

    @property
    def clients(self):
        """``[(node, input_index), ...]`` in the FunctionGraph holding this variable.

        An output of the graph has the client ``('output', i)``. Raises
        AttributeError when the variable is in no live FunctionGraph.
        """
        from symbolic.graph.fgraph import owning_fgraph

        fgraph = owning_fgraph(self)
        if fgraph is None:
            raise AttributeError(
                f"{self} is not part of a FunctionGraph, so it has no clients"
            )
        return fgraph.clients[self]

    @property
    def fgraph(self):
        """The live FunctionGraph holding this variable (AttributeError if none)."""
        from symbolic.graph.fgraph import owning_fgraph

        fgraph = owning_fgraph(self)
        if fgraph is None:
            raise AttributeError(f"{self} is not part of a FunctionGraph")
        return fgraph

    def clone(self):
        """Return a new ownerless variable with this type and name, tag copied."""
        cp = self.__class__(self.type, None, None, self.name)
        cp.tag = self.tag.copy()
        return cp

    def get_test_value(self):
        """Return ``tag.test_value``, raising AttributeError naming the variable."""
        if not hasattr(self.tag, "test_value"):
            raise AttributeError(f"{self} has no test value")
        return self.tag.test_value

    def eval(self, inputs_to_values=None):
        """Compile (cached per set of inputs) and evaluate this variable.

        Parameters
        ----------
        inputs_to_values : dict, optional
            Maps input variables to their values.

        Returns
        -------
        numpy.ndarray
        """
        if inputs_to_values is None:
            inputs_to_values = {}
        inputs = tuple(sorted(inputs_to_values, key=id))
        cache = self.__dict__.setdefault("_fn_cache", {})
        if inputs not in cache:
            cache[inputs] = compile_function(list(inputs), self)
        return cache[inputs](*[inputs_to_values[var] for var in inputs])

    def __getstate__(self):
        state = dict(self.__dict__)
        state.pop("_fn_cache", None)
        return state

    # Identity semantics, stated explicitly because subclasses overload operators.
    def __eq__(self, other):
        return self is other

    def __ne__(self, other):
        return self is not other

    # object's hash is by identity too, and C-level: graph walks hash
    # variables thousands of times per compile.
    __hash__ = object.__hash__


class _ConstantSignature(tuple):
    """(type, data) compared by value: used to merge equal constants."""

    def __eq__(self, other):
        if type(self) is not type(other):
            return False
        (t0, d0), (t1, d1) = self, other
        if t0 != t1:
            return False
        try:
            return bool(t0.values_eq(d0, d1))
        except Exception:
            return False

    def __ne__(self, other):
        return not self == other

    def __hash__(self):
        t, data = self
        try:
            import numpy

            arr = numpy.asarray(data)
            return hash((t, arr.shape, arr.tobytes()[:64]))
        except Exception:
            return hash(t)


class Constant(Variable):
    """A leaf with a fixed value; it cannot be a function input.

    Parameters
    ----------
    type : Type
    data : object
        The value, converted by ``type.filter``.
    name : str, optional
    """

    def __init__(self, type, data, name=None):
        super().__init__(type, None, None, name)
        self.data = type.filter(data)
        self.tag = scratchpad()

    @property
    def value(self):
        return self.data

    def signature(self):
        return _ConstantSignature((self.type, self.data))

    def equals(self, other):
        return isinstance(other, Constant) and self.signature() == other.signature()

    def __str__(self):
        if self.name is not None:
            return self.name
        return f"{type(self).__name__}{{{self.data}}}"

    def clone(self):
        cp = self.__class__(self.type, self.data, self.name)
        cp.tag = self.tag.copy()
        return cp

    @property
    def owner(self):
        return None

    @owner.setter
    def owner(self, value):
        if value is not None:
            raise ValueError("a Constant cannot have an owner")


class Apply(Node):
    """One application of an Op to input variables, producing output variables.

    Parameters
    ----------
    op : Op
    inputs : list of Variable
    outputs : list of Variable
        Ownerless variables; construction sets their ``owner`` and ``index``.
    """

    def __init__(self, op, inputs, outputs):
        self.op = op
        self.inputs = []
        self.tag = scratchpad()
        for var in inputs:
            if not isinstance(var, Variable):
                raise TypeError(f"Apply inputs must be Variables, got {var!r}")
            self.inputs.append(var)
        self.outputs = []
        for index, out in enumerate(outputs):
            if not isinstance(out, Variable):
                raise TypeError(f"Apply outputs must be Variables, got {out!r}")
            if out.owner is None:
                out.owner = self
                out.index = index
            elif out.owner is not self or out.index != index:
                raise ValueError(f"output {out} already belongs to another Apply")
            self.outputs.append(out)

    @property
    def fgraph(self):
        """The live FunctionGraph holding this node (AttributeError if none)."""
        from symbolic.graph.fgraph import owning_fgraph

        fgraph = owning_fgraph(self)
        if fgraph is None:
            raise AttributeError(f"{self} is not part of a FunctionGraph")
        return fgraph

    def default_output(self):
        """Return the output that ``op(...)`` returns, raising if it is ambiguous."""
        do = getattr(self.op, "default_output", None)
        if do is None:
            if len(self.outputs) == 1:
                return self.outputs[0]
            raise ValueError(
                f"{self.op} has {len(self.outputs)} outputs and no default_output"
            )
        return self.outputs[do]

    out = property(default_output)

    @property
    def nin(self):
        return len(self.inputs)

    @property
    def nout(self):
        return len(self.outputs)

    @property
    def params_type(self):
        return getattr(self.op, "params_type", None)

    def run_params(self):
        get = getattr(self.op, "get_params", None)
        return get(self) if get is not None else None

    def get_parents(self):
        return list(self.inputs)

    def clone(self):
        """Return a copy with the same inputs and fresh outputs (tags copied)."""
        cp = self.__class__(self.op, self.inputs, [out.clone() for out in self.outputs])
        cp.tag = self.tag.copy()
        return cp

    def clone_with_new_inputs(self, inputs, strict=True):
        """Return a copy applied to ``inputs``.

        With ``strict``, each new input is converted to the old input's type
        and the outputs are cloned; otherwise ``make_node`` runs again, so
        output types may change.
        """
        if len(inputs) != len(self.inputs):
            raise ValueError(
                f"{self.op} takes {len(self.inputs)} inputs, got {len(inputs)}"
            )
        remake = False
        new_inputs = list(inputs)
        for i, (curr, new) in enumerate(zip(self.inputs, new_inputs)):
            if curr.type != new.type:
                if strict:
                    new_inputs[i] = curr.type.filter_variable(new)
                else:
                    remake = True
        if remake:
            new_node = self.op.make_node(*new_inputs)
            new_node.tag = self.tag.copy().update(new_node.tag)
            for old, new in zip(self.outputs, new_node.outputs):
                new.name = old.name
                merged = old.tag.copy()
                merged.__dict__.update(new.tag.__dict__)
                new.tag = merged
        else:
            new_node = self.clone()
            new_node.inputs = new_inputs
        return new_node

    def __str__(self):
        return f"{self.op}({', '.join(map(str, self.inputs))})"

    __repr__ = __str__
