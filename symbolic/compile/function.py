"""function() and pfunc(): compile a graph into a callable Function, in four stages.

As PyTensor splits it, one module per stage:

1. **Argument rebuild** (:mod:`~symbolic.compile.arguments`): the inputs,
   outputs, updates and ``givens`` as given become input and output specs;
   ``givens`` are substituted in a clone of the graph and the shared
   variables it reads become implicit inputs with their updates.
2. **Maker** (:mod:`~symbolic.compile.maker`): :class:`FunctionMaker` builds
   the FunctionGraph from those specs and runs the rewrites of the mode and
   of its linker (the linker's ``required_rewrites``, without its
   ``incompatible_rewrites``).
3. **Executor** (:mod:`~symbolic.compile.executor`): :class:`Function` links
   the graph with the mode's linker (storage cells plus the linker's VM) and
   runs it on each call: inputs in, VM, outputs and updates out.
4. **Aliasing** (:mod:`~symbolic.compile.aliasing`): which outputs must be
   copied before they are returned, and which values in-place ops may
   overwrite.
"""

from symbolic.compile.aliasing import AliasedMemoryError
from symbolic.compile.arguments import rebuild_arguments
from symbolic.compile.executor import (
    Function,
    _constructor_Function,  # noqa: F401  (pickles of Functions name it here)
)
from symbolic.compile.maker import FunctionMaker, UnusedInputError, resolve_profile
from symbolic.compile.mode import get_mode
from symbolic.config import config
from symbolic.graph import basic as graph_basic

__all__ = [
    "AliasedMemoryError",
    "Function",
    "FunctionMaker",
    "UnusedInputError",
    "function",
    "pfunc",
]


def function(
    inputs,
    outputs=None,
    mode=None,
    updates=None,
    givens=None,
    no_default_updates=False,
    accept_inplace=False,
    name=None,
    rebuild_strict=True,
    allow_input_downcast=None,
    profile=None,
    on_unused_input=None,
):
    """Compile a graph into a callable Function.

    Parameters
    ----------
    inputs : list
        Variables, ``In`` instances, or the old ``(variable, default)`` /
        ``((variable, update), default)`` tuples. Intermediate variables are
        allowed: evaluation is cut there.
    outputs : Variable, list, dict or None
        The call returns one value, a list, or a dict accordingly.
    mode : Mode or str, optional
    updates : list of pairs or OrderedDict, optional
        ``(shared variable, new value expression)``; all computed from the
        values before the call, then written together.
    givens : dict or list of pairs, optional
        Variables substituted before compiling.
    no_default_updates : bool or list
        Skip the ``default_update`` of all (True) or the listed shared variables.
    allow_input_downcast : bool or None
        True casts inputs to their variable's dtype even when lossy.
    profile : bool, str or ProfileStats, optional
    on_unused_input : {'raise', 'warn', 'ignore'}, optional

    Returns
    -------
    Function

    Examples
    --------
    >>> import symbolic.tensor as T
    >>> x = T.dscalar('x')
    >>> f = function([x], x + 1)
    >>> float(f(2))
    3.0
    """
    return pfunc(
        inputs,
        outputs,
        mode=mode,
        updates=updates,
        givens=givens,
        no_default_updates=no_default_updates,
        accept_inplace=accept_inplace,
        name=name,
        rebuild_strict=rebuild_strict,
        allow_input_downcast=allow_input_downcast,
        profile=profile,
        on_unused_input=on_unused_input,
    )


def pfunc(
    params,
    outputs=None,
    mode=None,
    updates=None,
    givens=None,
    no_default_updates=False,
    accept_inplace=False,
    name=None,
    rebuild_strict=True,
    allow_input_downcast=None,
    profile=None,
    on_unused_input=None,
    output_keys=None,
):
    """Theano's lower-level entry point: :func:`function`, plus ``output_keys``.

    The parameters not listed here are :func:`function`'s.

    Parameters
    ----------
    params : list
        The inputs, as :func:`function` takes them.
    output_keys : list, optional
        One key per output: a call then returns ``{key: value}`` instead of
        a list (or a single value). ``outputs`` must then be a list or one
        variable, not a dict (a dict of outputs brings its own keys).

    Returns
    -------
    Function

    Raises
    ------
    ValueError
        When ``output_keys`` does not give one distinct key per output.
    """
    if on_unused_input is None:
        on_unused_input = config.on_unused_input
    if on_unused_input not in ("raise", "warn", "ignore"):
        raise ValueError(
            f"invalid on_unused_input {on_unused_input!r}: expected 'raise', "
            f"'warn' or 'ignore'"
        )
    args = rebuild_arguments(
        params,
        outputs,
        updates,
        givens,
        no_default_updates,
        rebuild_strict,
        allow_input_downcast,
    )
    if output_keys is not None:
        output_keys = _checked_output_keys(output_keys, outputs, args.outputs)
    mode = get_mode(mode)
    maker = FunctionMaker(
        args.inputs,
        args.outputs,
        mode,
        accept_inplace=accept_inplace,
        profile=resolve_profile(profile, mode, name),
        on_unused_input=on_unused_input,
        output_keys=args.output_keys if output_keys is None else output_keys,
        name=name,
        return_single=args.return_single,
    )
    return maker.create()


def _checked_output_keys(output_keys, outputs, out_specs):
    """``output_keys`` as a list, after checking it names each output once."""
    if isinstance(outputs, dict):
        raise ValueError(
            "pfunc: output_keys is given but outputs is a dict, which names "
            "its outputs itself; pass a list of outputs with output_keys"
        )
    if isinstance(output_keys, (str, bytes)) or not hasattr(output_keys, "__len__"):
        raise ValueError(
            f"pfunc: output_keys must be a list of keys, got {output_keys!r}"
        )
    keys = list(output_keys)
    if len(keys) != len(out_specs) or len(set(keys)) != len(keys):
        raise ValueError(
            f"pfunc: output_keys must give one distinct key per output: "
            f"{len(out_specs)} outputs, keys {keys!r}"
        )
    return keys


# Variable.eval, verify_grad and ops with an inner graph compile through this.
graph_basic.compile_function.install(function)
