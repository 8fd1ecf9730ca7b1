"""scan(): build a Scan op from a Python step function."""

from collections import OrderedDict

import numpy

from symbolic.compile.shared import SharedVariable
from symbolic.config import config
from symbolic.graph.basic import Constant, Variable
from symbolic.graph.replace import clone_replace
from symbolic.graph.traversal import ancestors
from symbolic.scan.op import Scan
from symbolic.scan.utils import until
from symbolic.types.tensor import as_tensor_variable
from symbolic.utils.updates import OrderedUpdates


def scan(
    fn,
    sequences=None,
    outputs_info=None,
    non_sequences=None,
    n_steps=None,
    truncate_gradient=-1,
    go_backwards=False,
    mode=None,
    name=None,
    profile=False,
    allow_gc=None,
    strict=False,
    return_list=False,
):
    """Loop ``fn`` over sequences and fed-back outputs, symbolically.

    Parameters
    ----------
    fn : callable
        Called once with symbolic arguments: for each sequence its tap
        slices, then for each fed-back output its past values (in tap order),
        then ``non_sequences``.  Returns its outputs (a variable, list or
        tuple), optionally with an updates dict or list of pairs and/or an
        :class:`until` condition.
    sequences : Variable, dict or list of them, optional
        Iterated over axis 0.  A dict ``dict(input=x, taps=[...])`` passes
        ``x[t + tap]`` slices.
    outputs_info : list, optional
        One entry per output of ``fn``: None (not fed back), an initial value
        (fed back as tap -1), or ``dict(initial=x, taps=[-k, ...])``.
    non_sequences : list, optional
        Passed unchanged to every step.
    n_steps : int or scalar Variable, optional
        Required without sequences; otherwise the shortest sequence decides.
    truncate_gradient : int
        Backpropagate through only the last this-many steps (-1: all).
    go_backwards : bool
        Iterate over the sequences from the end.
    mode : Mode or str, optional
        How the step is compiled.
    name : str, optional
    profile, allow_gc : optional
        Accepted for compatibility.
    strict : bool
        Forbid shared and free variables not listed in ``non_sequences``.
    return_list : bool
        Return a list even for a single output.

    Returns
    -------
    outputs : Variable, list of Variables or None
        Each with a leading axis of one entry per step.  For fed-back outputs
        the initial values are not included.
    updates : OrderedUpdates
        The value of each updated shared variable after the last step.

    Examples
    --------
    >>> import numpy, symbolic, symbolic.tensor as T
    >>> x = T.dvector('x')
    >>> # The initial value has the step's dtype (a Python 0.0 would be float32).
    >>> s, _ = scan(lambda v, acc: acc + v, sequences=x,
    ...             outputs_info=numpy.float64(0.0))
    >>> symbolic.function([x], s)(numpy.array([1.0, 2.0, 3.0]))
    array([1., 3., 6.])
    """
    seqs = [_as_sequence(s) for s in _as_list(sequences)]
    non_seqs = [
        v if isinstance(v, Variable) else as_tensor_variable(v)
        for v in _as_list(non_sequences)
    ]
    outs_info = _as_outputs_info(outputs_info)
    if n_steps is not None and not isinstance(n_steps, Variable):
        if int(n_steps) != n_steps:
            raise ValueError(f"n_steps must be an integer, got {n_steps!r}")
        n_steps = int(n_steps)
        if n_steps < 0 and n_steps != -1:
            raise ValueError(f"scan does not support negative n_steps ({n_steps})")
    single_step = n_steps in (1, -1) and not isinstance(n_steps, Variable)

    # Sequence slices: each (sequence, tap) becomes its own tap-0 sequence.
    outer_seqs, inner_seqs, actual_slices = [], [], []
    for seq in seqs:
        x, taps = seq["input"], seq["taps"]
        lo, hi = min(min(taps), 0), max(max(taps), 0)
        for tap in taps:
            start = tap - lo
            cut = x[start:] if tap == hi else x[start : tap - hi]
            if go_backwards:
                cut = cut[::-1]
            placeholder = cut[0].type()
            placeholder.name = _slice_name(x.name, tap)
            _copy_test_value(cut, placeholder, first=True)
            outer_seqs.append(cut)
            inner_seqs.append(placeholder)
            actual_slices.append(cut[0])

    # Fed-back outputs, in user order; their placeholders go to fn in that order.
    state_args = []
    for info in outs_info:
        info["placeholders"] = []
        if "initial" not in info:
            continue
        init = info["initial"]
        for tap in info["taps"]:
            if info["taps"] == [-1]:
                placeholder = init.type()
                actual = init
            else:
                placeholder = init[0].type()
                actual = init[tap + max(-t for t in info["taps"])]
            if init.name is not None:
                placeholder.name = f"{init.name}[t{tap}]"
            _copy_test_value(init, placeholder, first=info["taps"] != [-1])
            info["placeholders"].append(placeholder)
            info.setdefault("actual", []).append(actual)
            state_args.append(placeholder)

    args = inner_seqs + state_args + non_seqs
    raw = fn(*args)
    outputs, updates, condition = _parse_step_result(raw)
    outputs = [as_tensor_variable(o) for o in outputs]
    if outputs_info is None or (not outs_info and outputs):
        outs_info = [{"placeholders": []} for _ in outputs]
    if len(outs_info) != len(outputs):
        raise ValueError(
            f"scan: fn returned {len(outputs)} outputs but outputs_info has "
            f"{len(outs_info)} entries; give one entry (None for outputs that are "
            "not fed back) per output"
        )

    if single_step:
        return _single_step(
            outputs,
            updates,
            condition,
            outs_info,
            inner_seqs,
            actual_slices,
            return_list,
        )

    # Number of steps.
    if n_steps is None:
        if not outer_seqs:
            raise ValueError(
                "scan: no information about the number of steps; give n_steps or "
                "at least one sequence"
            )
        actual_n_steps = outer_seqs[0].shape[0]
        for seq in outer_seqs[1:]:
            actual_n_steps = _ops().minimum(actual_n_steps, seq.shape[0])
    else:
        actual_n_steps = as_tensor_variable(n_steps)
        if actual_n_steps.ndim != 0:
            raise TypeError(f"n_steps must be a scalar, got {actual_n_steps.type}")
    outer_seqs = [s[:actual_n_steps] for s in outer_seqs]

    # Group outputs the way the op lays them out: mit-sot, sit-sot, nit-sot.
    mit = [i for i, o in enumerate(outs_info) if o.get("taps") not in (None, [-1])]
    sit = [i for i, o in enumerate(outs_info) if o.get("taps") == [-1]]
    nit = [i for i, o in enumerate(outs_info) if "initial" not in o]
    for i in mit + sit:
        _check_step_type(outputs[i], outs_info[i], i)

    # Shared variables (with updates, explicit or default) and free variables.
    placeholders = set(inner_seqs) | set(state_args)
    explicit = list(non_seqs)
    roots = (
        outputs
        + list(updates.values())
        + ([condition] if condition is not None else [])
    )
    updates = _with_default_updates(updates, roots, placeholders | set(explicit))
    update_roots = roots + list(updates.values())
    found = [
        v
        for v in ancestors(update_roots, blockers=placeholders | set(explicit))
        if v.owner is None and not isinstance(v, Constant) and v not in placeholders
    ]
    for var in explicit:
        if isinstance(var, SharedVariable) and var not in found:
            found.append(var)
    shared_updated = list(updates)
    shared_plain = [
        v for v in found if isinstance(v, SharedVariable) and v not in updates
    ]
    other_non_seqs = [
        v
        for v in explicit
        if not isinstance(v, (SharedVariable, Constant)) and v not in placeholders
    ]
    free = [
        v
        for v in found
        if not isinstance(v, SharedVariable) and v not in set(other_non_seqs)
    ]
    if strict:
        listed = set(explicit)
        missing = [v for v in shared_plain + free if v not in listed]
        if missing:
            raise ValueError(
                "scan(strict=True): the step uses variables not given in "
                f"non_sequences: {', '.join(map(str, missing))}"
            )
    givens = OrderedDict()
    for var in shared_updated + shared_plain + other_non_seqs + free:
        givens[var] = _stand_in(var)
    # Intermediate (owned) non-sequences cut the inner graph there too.
    inner_outs = [outputs[i] for i in mit + sit + nit]
    inner_outs += [updates[v] for v in shared_updated]
    if condition is not None:
        inner_outs.append(condition)
    inner_outs = clone_replace(inner_outs, list(givens.items()), strict=False)
    n_main = len(mit + sit + nit)
    for j, var in enumerate(shared_updated):
        inner_outs[n_main + j] = _fit_shared_update(
            inner_outs[n_main + j], givens[var], var
        )

    inner_inputs = list(inner_seqs)
    for i in mit + sit:
        inner_inputs += outs_info[i]["placeholders"]
    inner_inputs += [givens[v] for v in shared_updated]
    outer_non_seqs = shared_plain + other_non_seqs + free
    inner_inputs += [givens[v] for v in outer_non_seqs]

    op = Scan(
        inner_inputs,
        inner_outs,
        {
            "n_seqs": len(inner_seqs),
            "n_mit_sot": len(mit),
            "mit_sot_taps": tuple(tuple(outs_info[i]["taps"]) for i in mit),
            "n_sit_sot": len(sit),
            "n_nit_sot": len(nit),
            "n_shared_outs": len(shared_updated),
            "n_non_seqs": len(outer_non_seqs),
            "go_backwards": bool(go_backwards),
            "truncate_gradient": int(truncate_gradient),
            "as_while": condition is not None,
            "name": name,
            "mode": mode,
            "profile": profile,
            "allow_gc": allow_gc,
        },
    )
    outer_inits = [outs_info[i]["initial"] for i in mit + sit]
    raw_outs = op(
        actual_n_steps,
        *outer_seqs,
        *outer_inits,
        *shared_updated,
        *outer_non_seqs,
        return_list=True,
    )

    results = [None] * len(outputs)
    for j, i in enumerate(mit + sit):
        length = -min(outs_info[i]["taps"])
        results[i] = raw_outs[j][length:]
    for j, i in enumerate(nit):
        results[i] = raw_outs[len(mit) + len(sit) + j]
    base = len(mit) + len(sit) + len(nit)
    scan_updates = OrderedUpdates()
    for j, var in enumerate(shared_updated):
        scan_updates[var] = raw_outs[base + j]
    return _finish(results, scan_updates, return_list)


def _ops():
    import symbolic.ops

    return symbolic.ops


def _as_list(value):
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return list(value)
    return [value]


def _as_sequence(entry):
    if isinstance(entry, dict):
        if "input" not in entry:
            raise ValueError(f"scan: a sequence dict needs an 'input' key, got {entry}")
        taps = entry.get("taps", [0])
        taps = [0] if taps is None else list(taps)
        if not taps:
            raise ValueError("scan: a sequence needs at least one tap")
        x = as_tensor_variable(entry["input"])
    else:
        x, taps = as_tensor_variable(entry), [0]
    if x.ndim == 0:
        raise ValueError(f"scan: sequence {x} is a scalar; sequences need ndim >= 1")
    return {"input": x, "taps": taps}


def _as_outputs_info(outputs_info):
    if outputs_info is None:
        return []
    entries = (
        outputs_info if isinstance(outputs_info, (list, tuple)) else [outputs_info]
    )
    result = []
    for entry in entries:
        if entry is None:
            result.append({})
            continue
        if isinstance(entry, dict):
            if entry.get("initial") is None:
                if entry.get("taps"):
                    raise ValueError(
                        "scan: outputs_info entry has taps but no initial value"
                    )
                result.append({})
                continue
            taps = list(entry.get("taps", [-1]) or [-1])
            if any(t >= 0 for t in taps):
                raise ValueError(f"scan: output taps must be negative, got {taps}")
            result.append(
                {"initial": as_tensor_variable(entry["initial"]), "taps": taps}
            )
            continue
        result.append({"initial": as_tensor_variable(entry), "taps": [-1]})
    return result


def _is_update_pairs(value):
    return (
        isinstance(value, (list, tuple))
        and len(value) > 0
        and all(
            isinstance(p, (list, tuple))
            and len(p) == 2
            and isinstance(p[0], SharedVariable)
            for p in value
        )
    )


def _parse_step_result(result):
    """Split what fn returned into (outputs, updates, condition)."""
    updates = OrderedDict()
    condition = None
    if isinstance(result, until):
        return [], updates, result.condition
    if isinstance(result, dict):
        return [], OrderedDict(result), None
    if not isinstance(result, (list, tuple)):
        return [result], updates, None
    if _is_update_pairs(result):
        return [], OrderedDict(result), None
    outputs = []
    rest = []
    for item in result:
        if isinstance(item, until):
            condition = item.condition
        elif isinstance(item, dict):
            updates.update(item)
        elif _is_update_pairs(item):
            updates.update(item)
        else:
            rest.append(item)
    if (
        len(rest) != len(result)
        and len(rest) == 1
        and isinstance(rest[0], (list, tuple))
    ):
        outputs = list(rest[0])
    else:
        outputs = rest
    for key in updates:
        if not isinstance(key, SharedVariable):
            raise TypeError(
                f"scan: the step's updates must be keyed by shared variables, got "
                f"{key!r}"
            )
    return outputs, updates, condition


def _slice_name(name, tap):
    if name is None:
        return None
    if tap == 0:
        return f"{name}[t]"
    return f"{name}[t{tap:+d}]"


def _copy_test_value(source, target, first):
    if config.compute_test_value == "off":
        return
    value = getattr(source.tag, "test_value", None)
    if value is None and isinstance(source, Constant):
        value = source.data
    if value is None and isinstance(source, SharedVariable):
        value = source.get_value(borrow=True)
    if value is not None:
        target.tag.test_value = value[0] if first else value


def _check_step_type(output, info, index):
    expected = info["placeholders"][0].type
    if output.type != expected:
        raise TypeError(
            f"scan: output {index} of the step ({output}) has type {output.type}, "
            f"but its initial value {info['initial']} gives it type {expected}; "
            "they must match exactly (cast the initial value, or use unbroadcast "
            "or patternbroadcast on it)"
        )


def _with_default_updates(updates, roots, blockers):
    """Add the ``default_update`` of every shared variable the step reaches."""
    updates = OrderedDict(updates)
    pending = list(roots)
    seen = set()
    while pending:
        found = []
        for var in ancestors(pending, blockers=blockers):
            if isinstance(var, SharedVariable) and var not in seen:
                seen.add(var)
                found.append(var)
        pending = []
        for var in found:
            if var in updates:
                pending.append(updates[var])
                continue
            default = getattr(var, "default_update", None)
            if default is not None:
                updates[var] = default
                pending.append(default)
    for var, value in list(updates.items()):
        if not isinstance(value, Variable):
            updates[var] = as_tensor_variable(value)
    return updates


def _fit_shared_update(update, stand_in, var):
    """Give a shared variable's update expression the variable's exact type."""
    if update.type == stand_in.type:
        return update
    converted = stand_in.type.filter_variable(update, allow_convert=True)
    if converted.type != stand_in.type:
        raise TypeError(
            f"scan: the update of shared variable {var} has type {update.type}, "
            f"expected {stand_in.type}"
        )
    return converted


def _stand_in(var):
    copy = var.type()
    if var.name is not None:
        copy.name = f"{var.name}_copy"
    if isinstance(var, SharedVariable):
        value = var.get_value(borrow=True)
        if config.compute_test_value != "off" and isinstance(value, numpy.ndarray):
            copy.tag.test_value = value
    else:
        _copy_test_value(var, copy, first=False)
    return copy


def _single_step(
    outputs, updates, condition, outs_info, inner_seqs, actual_slices, return_list
):
    """n_steps of +-1: no loop, the step's outputs with a leading axis of 1."""
    ops = _ops()
    givens = list(zip(inner_seqs, actual_slices))
    for info in outs_info:
        givens += list(zip(info["placeholders"], info.get("actual", [])))
    exprs = outputs + list(updates.values())
    exprs = clone_replace(exprs, givens, strict=False) if givens else exprs
    results = [ops.unbroadcast(ops.shape_padleft(o), 0) for o in exprs[: len(outputs)]]
    new_updates = OrderedUpdates()
    for var, value in zip(updates, exprs[len(outputs) :]):
        new_updates[var] = value
    return _finish(results, new_updates, return_list)


def _finish(results, updates, return_list):
    if return_list:
        return results, updates
    if len(results) == 1:
        return results[0], updates
    if not results:
        return None, updates
    return results, updates
