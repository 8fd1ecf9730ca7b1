"""Readable renderings of graphs: pprint (infix), debugprint (tree), and Print."""

import sys
from io import StringIO

from symbolic.graph.basic import Apply, Variable
from symbolic.graph.op import Op


# Print op ------------------------------------------------------------
def _default_print(op, value):
    """Theano's report: one ``<message> <attr> = <value>`` line per attribute."""
    for attr in op.attrs:
        shown = getattr(value, attr)
        if callable(shown):
            shown = shown()
        print(op.message, attr, "=", shown)  # noqa: T201 (the Print op's purpose)


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
    """Theano's node ids: A..Z, then BA, BB, ... (base-26 digits, A for 0)."""
    if n == 0:
        return "A"
    letters = ""
    while n:
        n, rem = divmod(n, 26)
        letters = chr(ord("A") + rem) + letters
    return letters


class _Ids:
    """Hands out ``[id X]`` labels, one per Apply node or leaf variable."""

    def __init__(self, style, used):
        self.style = style
        self.used = used

    def __call__(self, obj):
        if obj not in self.used:
            if self.style == "CHAR":
                label = f"[id {_char_id(len(self.used))}]"
            elif self.style == "int":
                label = f"[id {len(self.used)}]"
            elif self.style == "id":
                label = f"[id {id(obj)}]"
            else:
                label = ""
            self.used[obj] = label
        return self.used[obj]


def _print_tree(
    var,
    write,
    ids,
    done,
    prefix="",
    prefix_child=None,
    depth=-1,
    print_type=False,
    order=None,
    stop_on_name=False,
    scan_ops=None,
    inner_to_outer=None,
):
    """Write ``var``'s tree in Theano's debugprint layout (one line per variable).

    An Apply output is ``<prefix><op>[.<i>] [id X][ <type>] '<name>' ` then,
    separated by single spaces, the (unused) destroy map, view map and the
    node's position in ``order``; a leaf is ``<prefix><var> [id X][ <type>]``.
    A node printed before keeps its id and is not expanded again.
    """
    if depth == 0:
        return
    if prefix_child is None:
        prefix_child = prefix
    type_text = f" <{var.type}>" if print_type else ""
    owner = var.owner
    if owner is None:
        label = ids(var)
        if inner_to_outer is not None and var in inner_to_outer:
            outer_var = inner_to_outer[var]
            outer = ids(outer_var.owner if outer_var.owner is not None else outer_var)
            write(f"{prefix}{var} {label}{type_text} -> {outer}\n")
        else:
            write(f"{prefix}{var} {label}{type_text}\n")
        return
    printed = owner in done
    label = ids(owner)
    done[owner] = label
    index = "" if len(owner.outputs) == 1 else f".{owner.outputs.index(var)}"
    name = "" if var.name is None else var.name
    position = str(order.index(owner)) if order and owner in order else ""
    write(f"{prefix}{owner.op}{index} {label}{type_text} '{name}'   {position}\n")
    if printed or (stop_on_name and var.name is not None):
        return
    last = len(owner.inputs) - 1
    for i, child in enumerate(owner.inputs):
        if scan_ops is not None and _is_scan_output(child) and child not in scan_ops:
            scan_ops.append(child)
        _print_tree(
            child,
            write,
            ids,
            done,
            prefix=prefix_child + " |",
            prefix_child=prefix_child + ("  " if i == last else " |"),
            depth=depth - 1,
            print_type=print_type,
            order=order,
            stop_on_name=stop_on_name,
            scan_ops=scan_ops,
            inner_to_outer=inner_to_outer,
        )


def _is_scan_output(var):
    owner = var.owner
    return owner is not None and type(owner.op).__name__ == "Scan"


def _scan_inner_to_outer(node):
    """``{inner input: outer input}`` of a Scan node (its taps map to the state)."""
    op = node.op
    _, seqs, inits, shared, non_seqs = op.outer_groups(node.inputs)
    inner_seqs, inner_states, inner_shared, inner_non_seqs = op.inner_groups()
    mapping = dict(zip(inner_seqs, seqs))
    for taps, init in zip(inner_states, inits):
        for tap in taps:
            mapping[tap] = init
    mapping.update(zip(inner_shared, shared))
    mapping.update(zip(inner_non_seqs, non_seqs))
    return mapping


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

    The text is Theano 1.0's: each line is ``<op> [id X] '<name>'`` followed
    by three spaces (and, for a compiled function, the node's position in
    the topological order); a leaf is ``<variable> [id X]``; children are
    indented under ``' |'``, and a node printed before is shown once more with
    its id only.  Loops get an "Inner graphs of the scan ops:" section.

    Parameters
    ----------
    obj : Variable, Apply, Function, FunctionGraph, or list of them
    depth : int
        Levels to print (-1: all).
    print_type : bool
        Add each variable's type as `` <TensorType(float64, vector)>``.
    file : file-like, 'str' or None
        None prints to stdout; 'str' returns the text.
    ids : {'CHAR', 'int', 'id', ''}
        How nodes are labelled.
    stop_on_name : bool
        Do not expand the inputs of a named variable.

    Examples
    --------
    >>> import symbolic.tensor as T
    >>> x, y = T.dvectors('x', 'y')
    >>> debugprint(x + y, file='str').splitlines()
    ["Elemwise{add,no_inplace} [id A] ''   ", ' |x [id B]', ' |y [id C]']
    """
    outputs, order = _roots_and_order(obj)
    buffer = StringIO()
    label = _Ids(ids, {} if used_ids is None else used_ids)
    done = {} if done is None else done
    scan_ops = []
    for out in outputs:
        if _is_scan_output(out) and out not in scan_ops:
            scan_ops.append(out)
        _print_tree(
            out,
            buffer.write,
            label,
            done,
            depth=depth,
            print_type=print_type,
            order=order,
            stop_on_name=stop_on_name,
            scan_ops=scan_ops,
        )
    if scan_ops:
        buffer.write("\nInner graphs of the scan ops:\n")
        position = 0
        while position < len(scan_ops):
            scan_out = scan_ops[position]
            position += 1
            buffer.write("\n")
            _print_tree(
                scan_out,
                buffer.write,
                label,
                done,
                depth=depth,
                print_type=print_type,
                stop_on_name=stop_on_name,
            )
            mapping = _scan_inner_to_outer(scan_out.owner)
            for inner_out in scan_out.owner.op.outputs:
                _print_tree(
                    inner_out,
                    buffer.write,
                    label,
                    done,
                    prefix=" >",
                    prefix_child=" >",
                    depth=depth,
                    print_type=print_type,
                    stop_on_name=stop_on_name,
                    scan_ops=scan_ops,
                    inner_to_outer=mapping,
                )
    text = buffer.getvalue()
    if file == "str":
        return text
    if file is None:
        sys.stdout.write(text)
        sys.stdout.flush()
        return None
    file.write(text)
    return file


def _roots_and_order(obj):
    """The variables to print and, for a compiled graph, its node order."""
    maker = getattr(obj, "maker", None)
    if maker is not None:
        return list(maker.fgraph.outputs), maker.fgraph.toposort()
    if hasattr(obj, "toposort") and hasattr(obj, "outputs"):
        return list(obj.outputs), obj.toposort()
    return _roots_of(obj), None


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
