"""Readable renderings of graphs: pprint (infix), debugprint (tree), and Print."""

import sys
from io import StringIO

from symbolic.graph.basic import Apply, Variable
from symbolic.graph.op import Op


# Print op ------------------------------------------------------------
def _default_print(op, value):
    print(  # noqa: T201 (printing is what the Print op is for)
        op.message,
        *(
            getattr(value, attr)()
            if callable(getattr(value, attr))
            else getattr(value, attr)
            for attr in op.attrs
        ),
    )


class Print(Op):
    """Identity op that reports its value when evaluated (a view of its input).

    Parameters
    ----------
    message : str
    attrs : tuple of str
        Attributes of the value to show (called if callable).
    global_fn : callable
        ``global_fn(op, value)`` is called at run time.
    """

    view_map = {0: [0]}
    has_side_effects = True
    __props__ = ("message", "attrs", "global_fn")

    def __init__(self, message="", attrs=("__str__",), global_fn=_default_print):
        self.message = message
        self.attrs = tuple(attrs)
        self.global_fn = global_fn

    def make_node(self, xin):
        from symbolic.types.tensor import as_tensor_variable

        xin = as_tensor_variable(xin)
        return Apply(self, [xin], [xin.type()])

    def perform(self, node, inputs, output_storage):
        (x,) = inputs
        output_storage[0][0] = x
        self.global_fn(self, x)

    def L_op(self, inputs, outputs, grads):
        return list(grads)

    def R_op(self, inputs, eval_points):
        return list(eval_points)

    def infer_shape(self, fgraph, node, shapes):
        return shapes

    def do_constant_folding(self, fgraph, node):
        return False


# pprint ------------------------------------------------------------
_INFIX = {
    "add": "+",
    "sub": "-",
    "mul": "*",
    "true_div": "/",
    "int_div": "//",
    "mod": "%",
    "pow": "**",
    "lt": "<",
    "gt": ">",
    "le": "<=",
    "ge": ">=",
    "eq": "==",
    "neq": "!=",
    "and_": "&",
    "or_": "|",
    "xor": "^",
}


class PPrinter:
    """Renders a variable as one line of infix text; other ops print as calls."""

    def __init__(self):
        self.printers = []

    def assign(self, condition, printer):
        self.printers.insert(0, (condition, printer))

    def process(self, var, pstate=None):
        return self(var)

    def __call__(self, *args):
        if len(args) == 1:
            return self._render(args[0])
        return "\n".join(self._render(a) for a in args)

    def _render(self, var):
        if isinstance(var, Apply):
            var = var.default_output()
        for condition, printer in self.printers:
            if condition(var):
                return printer(self, var)
        if var.owner is None or (
            var.name is not None
            and var.owner is not None
            and getattr(self, "_stop_on_name", False)
        ):
            return str(var)
        node = var.owner
        op = node.op
        scalar_op = getattr(op, "scalar_op", None)
        args = [self._render(i) for i in node.inputs]
        from symbolic.ops.elemwise import DimShuffle

        if scalar_op is not None and len(node.inputs) >= 2:
            symbol = _INFIX.get(getattr(scalar_op, "name", None))
            if symbol is not None:
                return "(" + f" {symbol} ".join(args) + ")"
        if scalar_op is not None and getattr(scalar_op, "name", None) == "neg":
            return f"(-{args[0]})"
        if isinstance(op, DimShuffle):
            if all(
                e == "x" for e in op.new_order[: len(op.new_order) - len(op.shuffle)]
            ) and op.shuffle == list(range(len(op.shuffle))):
                return args[0]
            return f"{args[0]}.dimshuffle({', '.join(map(repr, op.new_order))})"
        name = getattr(scalar_op, "name", None) or type(op).__name__
        return f"{name}({', '.join(args)})"


pprint = PPrinter()
pp = pprint


# debugprint ------------------------------------------------------------
def _char_id(n):
    letters = ""
    n += 1
    while n > 0:
        n, rem = divmod(n - 1, 26)
        letters = chr(ord("A") + rem) + letters
    return letters


def debugprint(
    obj,
    depth=-1,
    print_type=False,
    file=None,
    ids="CHAR",
    stop_on_name=False,
    done=None,
    print_storage=False,
    print_clients=False,
    used_ids=None,
):
    """Print (or return, with ``file='str'``) the graph of ``obj`` as an indented tree.

    Each line is ``<op or variable> [id X] '<name>'``; children are indented
    under ``' |'``. A node seen before is printed once with its id only.

    Parameters
    ----------
    obj : Variable, Apply, Function, FunctionGraph, or list of them
    file : file-like, 'str' or None
        None prints to stdout; 'str' returns the text.
    """
    outputs = _roots_of(obj)
    buffer = StringIO()
    ids_map = {} if used_ids is None else used_ids
    done = {} if done is None else done

    def var_id(var):
        key = var.owner if var.owner is not None else var
        if key not in ids_map:
            ids_map[key] = _char_id(len(ids_map)) if ids == "CHAR" else str(id(key))
        return ids_map[key]

    def line(var, prefix, prefix_child, level):
        owner = var.owner
        ident = f" [id {var_id(var)}]" if ids else ""
        type_text = f" {var.type}" if print_type else ""
        if owner is None:
            buffer.write(f"{prefix}{var}{ident}{type_text}\n")
            return
        out_index = f".{var.index}" if len(owner.outputs) > 1 else ""
        name = var.name if var.name is not None else ""
        buffer.write(f"{prefix}{owner.op}{out_index}{ident}{type_text} '{name}'\n")
        if owner in done:
            return
        done[owner] = True
        if depth != -1 and level + 1 >= depth:
            return
        if stop_on_name and var.name is not None and level > 0:
            return
        last = len(owner.inputs) - 1
        for i, child in enumerate(owner.inputs):
            tail = "  " if i == last else " |"
            line(child, prefix_child + " |", prefix_child + tail, level + 1)

    for out in outputs:
        line(out, "", "", 0)
    text = buffer.getvalue()
    if file == "str":
        return text
    if file is None:
        sys.stdout.write(text)
        sys.stdout.flush()
        return None
    file.write(text)
    return file


def _roots_of(obj):
    if isinstance(obj, Variable):
        return [obj]
    if isinstance(obj, Apply):
        return list(obj.outputs)
    if isinstance(obj, (list, tuple)):
        roots = []
        for item in obj:
            roots.extend(_roots_of(item))
        return roots
    maker = getattr(obj, "maker", None)
    if maker is not None:
        return list(maker.fgraph.outputs)
    outputs = getattr(obj, "outputs", None)
    if outputs is not None:
        return list(outputs)
    raise TypeError(f"debugprint cannot print {obj!r}")


def min_informative_str(obj, indent_level=0):
    """A compact multi-line description of ``obj``'s graph."""
    return debugprint(obj, file="str")


def pydotprint(*args, **kwargs):
    """Graph images need pydot, which this project does not depend on."""
    raise ImportError("pydotprint requires pydot, which is not installed")
