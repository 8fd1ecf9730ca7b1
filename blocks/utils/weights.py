"""Reading and writing the values of named parameters as lists.

The helpers behind ``get_weights``, ``set_weights`` and
``set_weights_by_name`` of :class:`~blocks.model.Model` and of bricks.
They work on ``(name, shared variable)`` pairs, so both can share them.

"""

import warnings

__all__ = ["get_weights", "set_weights", "set_weights_by_name"]

_POLICIES = ("ignore", "warn", "raise")


def _check_policy(argument, value):
    if value not in _POLICIES:
        raise ValueError(f"{argument} must be one of {_POLICIES}, got {value!r}")


def _complain(policy, message):
    if policy == "raise":
        raise ValueError(message)
    if policy == "warn":
        warnings.warn(message, stacklevel=3)


def _set(name, variable, value):
    shape = variable.get_value(borrow=True, return_internal_type=True).shape
    if tuple(value.shape) != tuple(shape):
        raise ValueError(
            f"the weight for {name} has shape {tuple(value.shape)}, "
            f"but the parameter has shape {tuple(shape)}"
        )
    variable.set_value(value)


def get_weights(named_parameters):
    """``[(value, name), ...]``, copies of the values, in the given order."""
    return [(variable.get_value(), name) for name, variable in named_parameters]


def set_weights(named_parameters, weights, check_name="ignore"):
    """Set the values in order; `check_name` says what a name mismatch does.

    Every value is checked (count, shapes and, with ``check_name='raise'``,
    names) before any is set.
    """
    _check_policy("check_name", check_name)
    named_parameters = list(named_parameters)
    weights = list(weights)
    if len(weights) != len(named_parameters):
        raise ValueError(
            f"set_weights got {len(weights)} weights for "
            f"{len(named_parameters)} parameters"
        )
    for (value, weight_name), (name, variable) in zip(
        weights, named_parameters, strict=True
    ):
        if weight_name != name:
            _complain(
                check_name,
                f"the weight named {weight_name!r} is set to parameter {name!r}",
            )
        shape = variable.get_value(borrow=True, return_internal_type=True).shape
        if tuple(value.shape) != tuple(shape):
            raise ValueError(
                f"the weight {weight_name!r} has shape {tuple(value.shape)}, but the "
                f"parameter {name!r} has shape {tuple(shape)}"
            )
    for (value, _), (name, variable) in zip(weights, named_parameters, strict=True):
        _set(name, variable, value)


def set_weights_by_name(named_parameters, weights, unmatched="raise"):
    """Set each value on the parameter of the same name.

    `unmatched` says what a weight without a parameter, or a parameter
    without a weight, does; with ``'raise'`` nothing is set.
    """
    _check_policy("unmatched", unmatched)
    parameters = dict(named_parameters)
    values = {}
    for value, name in weights:
        if name in values:
            raise ValueError(f"set_weights_by_name got two weights named {name!r}")
        values[name] = value
    extra = sorted(set(values) - set(parameters))
    missing = sorted(set(parameters) - set(values))
    if extra:
        _complain(unmatched, f"weights without a parameter of that name: {extra}")
    if missing:
        _complain(unmatched, f"parameters without a weight of that name: {missing}")
    for name, value in values.items():
        if name in parameters:
            _set(name, parameters[name], value)
