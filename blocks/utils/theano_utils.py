"""Helpers that build or inspect ``symbolic`` variables."""

import numpy

import symbolic
from symbolic import tensor
from symbolic.compile import SharedVariable
from symbolic.gof import Constant
from symbolic.printing import Print


def shared_floatx(value, name=None, borrow=False, dtype=None, **kwargs):
    r"""Transform a value into a shared variable of type floatX.

    Parameters
    ----------
    value : ndarray
        The value of the shared variable.
    name : str, optional
        The name of the shared variable.
    borrow : bool, optional
        If True, `value` is not copied when that can be avoided.
    dtype : str, optional
        The dtype of the shared variable; ``symbolic.config.floatX`` by
        default.
    \*\*kwargs
        Passed on to :func:`symbolic.shared`.

    Returns
    -------
    :class:`~tensor.TensorSharedVariable`

    """
    if dtype is None:
        dtype = symbolic.config.floatX
    return symbolic.shared(
        symbolic._asarray(value, dtype=dtype), name=name, borrow=borrow, **kwargs
    )


def shared_floatx_zeros(shape, **kwargs):
    r"""Create a floatX shared variable filled with zeros.

    Parameters
    ----------
    shape : tuple of int
        The shape of the array.
    \*\*kwargs
        Passed on to :func:`shared_floatx`.

    """
    return shared_floatx(numpy.zeros(shape), **kwargs)


def shared_floatx_nans(shape, **kwargs):
    r"""Create a floatX shared variable filled with NaNs.

    Parameters
    ----------
    shape : tuple of int
        The shape of the array.
    \*\*kwargs
        Passed on to :func:`shared_floatx`.

    """
    return shared_floatx(numpy.nan * numpy.zeros(shape), **kwargs)


def shared_floatx_zeros_matching(shared_variable, name=None, **kwargs):
    r"""Create a zero-filled shared variable shaped like another one.

    Parameters
    ----------
    shared_variable : :class:`~tensor.TensorSharedVariable`
        Gives the shape and the broadcastable pattern.
    name : str, optional
        The name of the new shared variable.
    \*\*kwargs
        Passed on to :func:`shared_floatx_zeros`.

    """
    if not is_shared_variable(shared_variable):
        raise ValueError(f"expected a shared variable, got {shared_variable!r}")
    return shared_floatx_zeros(
        shared_variable.get_value().shape,
        name=name,
        broadcastable=shared_variable.broadcastable,
        **kwargs,
    )


def shared_like(variable, name=None, **kwargs):
    r"""Create an empty shared variable able to hold a variable's value.

    The new variable has the dtype and the number of dimensions of
    `variable` and holds an array of shape ``(0, ..., 0)``.

    Parameters
    ----------
    variable : :class:`~tensor.TensorVariable`
        Gives the dtype and the number of dimensions.
    name : str, optional
        The name; by default ``shared_<variable name>``.
    \*\*kwargs
        Passed on to :func:`symbolic.shared`.

    """
    variable = tensor.as_tensor_variable(variable)
    if name is None:
        name = f"shared_{variable.name}"
    return symbolic.shared(
        numpy.zeros((0,) * variable.ndim, dtype=variable.dtype), name=name, **kwargs
    )


def check_theano_variable(variable, n_dim, dtype_prefix):
    """Check the number of dimensions and the dtype of a variable.

    A value that is not a variable is converted to one first; None is not
    checked at all.

    Parameters
    ----------
    variable : :class:`~tensor.TensorVariable` or convertible to one
        The variable to check.
    n_dim : int or None
        The expected number of dimensions, or None to skip the check.
    dtype_prefix : str or None
        The expected start of the dtype (e.g. ``'float'``), or None to skip
        the check.

    Raises
    ------
    ValueError
        On a mismatch, naming what was expected and what came.

    """
    if variable is None:
        return
    if not isinstance(variable, tensor.Variable):
        variable = tensor.as_tensor_variable(variable)
    if n_dim is not None and variable.ndim != n_dim:
        raise ValueError(
            f"wrong number of dimensions for {variable}: expected {n_dim}, "
            f"got {variable.ndim}"
        )
    if dtype_prefix is not None and not variable.dtype.startswith(dtype_prefix):
        raise ValueError(
            f"wrong dtype for {variable}: expected one starting with "
            f"{dtype_prefix!r}, got {variable.dtype!r}"
        )


def is_graph_input(variable):
    """Whether a variable is an input the user provides to the graph.

    Such a variable has no owner and is neither a constant nor a shared
    variable.

    Parameters
    ----------
    variable : :class:`~tensor.TensorVariable`

    Returns
    -------
    bool

    """
    return (
        not variable.owner
        and not isinstance(variable, SharedVariable)
        and not isinstance(variable, Constant)
    )


def is_shared_variable(variable):
    """Whether a variable is a shared variable that is not a random state.

    The shared states of symbolic random streams (``tag.is_rng``) and numpy
    random state variables are excluded.

    Parameters
    ----------
    variable : :class:`~tensor.Variable`

    Returns
    -------
    bool

    """
    if not isinstance(variable, SharedVariable):
        return False
    if getattr(variable.tag, "is_rng", False):
        return False
    return not isinstance(variable.get_value(borrow=True), numpy.random.RandomState)


def put_hook(variable, hook_fn, *args):
    r"""Put a hook on a variable.

    `hook_fn` runs every time a compiled function computes the value of
    the returned variable.

    Parameters
    ----------
    variable : :class:`~tensor.TensorVariable`
        The variable to hook.
    hook_fn : callable
        Called as ``hook_fn(value, *args)``.
    \*args
        More positional arguments for `hook_fn`.

    Returns
    -------
    :class:`~tensor.TensorVariable`
        A variable with the value of `variable`; use it in place of
        `variable` for the hook to run.

    Notes
    -----
    The hook is stored in the graph, so a graph with a hook that is a
    lambda or a closure cannot be pickled.

    """
    return Print(global_fn=_HookCaller(hook_fn, args))(variable)


class _HookCaller:
    """Adapts a ``hook_fn(value, *args)`` to the ``Print`` callback."""

    def __init__(self, hook_fn, args):
        self.hook_fn = hook_fn
        self.args = args

    def __call__(self, op, value):
        self.hook_fn(value, *self.args)
