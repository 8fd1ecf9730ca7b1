"""Stage 1 of ``function()``: the arguments rebuilt into input and output specs.

``function``'s arguments come in many shapes (Variables, ``In``/``Out``,
Theano's ``(variable, default)`` tuples, dicts or lists of outputs, updates
as pairs or dicts, ``givens``). This stage turns them into one list of
:class:`~symbolic.compile.io.SymbolicInput` and one of
:class:`~symbolic.compile.io.SymbolicOutput`: ``givens`` are substituted
into the outputs and updates (a clone, so the caller's graph is untouched),
and every shared variable the graph reads becomes an implicit input, with
its update (given, or its ``default_update``).
"""

from typing import NamedTuple

from symbolic.compile.inputs import (
    add_shared_inputs,
    check_updates,
    convert_input,
    givens_pairs,
)
from symbolic.compile.io import Out, SymbolicOutput
from symbolic.compile.maker import UnusedInputError
from symbolic.graph.basic import Variable
from symbolic.graph.replace import clone_replace


class Arguments(NamedTuple):
    """What stage 1 hands the maker."""

    #: SymbolicInput, the explicit ones first, then the shared variables.
    inputs: list
    #: SymbolicOutput, one per output.
    outputs: list
    #: The keys of a dict of outputs (sorted), else None.
    output_keys: object
    #: True when ``outputs`` was one variable: a call returns one value.
    return_single: bool


def rebuild_arguments(
    inputs,
    outputs,
    updates=None,
    givens=None,
    no_default_updates=False,
    rebuild_strict=True,
    allow_input_downcast=None,
):
    """Return the :class:`Arguments` of a ``function``/``pfunc`` call."""
    output_keys, out_list, single = _output_list(outputs)
    out_specs = [_output_spec(out) for out in out_list]
    in_specs = _input_specs(inputs, allow_input_downcast)
    update_pairs = check_updates(updates)
    given_pairs = givens_pairs(givens)
    if given_pairs:
        update_pairs = _substitute_givens(
            given_pairs, in_specs, out_specs, update_pairs, rebuild_strict
        )
    in_specs = add_shared_inputs(in_specs, out_specs, update_pairs, no_default_updates)
    return Arguments(in_specs, out_specs, output_keys, single)


def _output_list(outputs):
    """``(output_keys, outputs as a list, return_single)``."""
    if outputs is None:
        return None, [], False
    if isinstance(outputs, dict):
        keys = sorted(outputs)
        return keys, [outputs[key] for key in keys], False
    if isinstance(outputs, (list, tuple)):
        return None, list(outputs), False
    return None, [outputs], True


def _output_spec(out):
    if isinstance(out, SymbolicOutput):
        return out
    if isinstance(out, Variable):
        return Out(out)
    from symbolic.types.tensor import as_tensor_variable

    try:
        return Out(as_tensor_variable(out))
    except TypeError:
        raise TypeError(f"function outputs must be Variables, got {out!r}") from None


def _input_specs(inputs, allow_input_downcast):
    if not isinstance(inputs, (list, tuple)):
        raise TypeError(
            "inputs of symbolic.function must be a list or tuple, got "
            f"{type(inputs).__name__}"
        )
    in_specs = [convert_input(item) for item in inputs]
    seen = set()
    for spec in in_specs:
        if spec.variable in seen:
            raise UnusedInputError(
                f"variable {spec.variable} is used twice in the inputs of function"
            )
        seen.add(spec.variable)
        if allow_input_downcast is not None and spec.allow_downcast is None:
            spec.allow_downcast = allow_input_downcast
    return in_specs


def _substitute_givens(given_pairs, in_specs, out_specs, update_pairs, strict):
    """Replace through ``givens`` in the outputs, updates and input updates.

    The specs are updated in place; returns the new update pairs.
    """
    explicit = {spec.variable for spec in in_specs}
    for old, _ in given_pairs:
        if old in explicit:
            raise ValueError(f"an input ({old}) cannot be replaced through givens")
    with_update = [spec for spec in in_specs if spec.update is not None]
    exprs = (
        [spec.variable for spec in out_specs]
        + [new for _, new in update_pairs]
        + [spec.update for spec in with_update]
    )
    replaced = clone_replace(exprs, given_pairs, strict=strict)
    n_out, n_upd = len(out_specs), len(update_pairs)
    for spec, new in zip(out_specs, replaced[:n_out]):
        spec.variable = new
    for spec, new in zip(with_update, replaced[n_out + n_upd :]):
        spec.update = new
    return [
        (store, new)
        for (store, _), new in zip(update_pairs, replaced[n_out : n_out + n_upd])
    ]
