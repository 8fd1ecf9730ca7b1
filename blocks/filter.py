"""Select variables of a graph by role, brick, name or application."""

import re
from inspect import isclass

from blocks.bricks.base import Application, ApplicationCall, BoundApplication, Brick
from blocks.roles import has_roles

__all__ = ["VariableFilter", "get_annotation", "get_application_call", "get_brick"]


def get_annotation(var, cls):
    """Return the first annotation of class `cls` on a variable, or None.

    There should be at most one; any others are ignored.

    """
    for annotation in getattr(var.tag, "annotations", []):
        if isinstance(annotation, cls):
            return annotation
    return None


def get_brick(var):
    """Return the brick that created a variable, or None."""
    return get_annotation(var, Brick)


def get_application_call(var):
    """Return the application call that created a variable, or None."""
    return get_annotation(var, ApplicationCall)


class VariableFilter:
    """Filters symbolic variables based on a range of criteria.

    Calling the filter on an iterable of variables returns, in order, those
    that meet every criterion given.

    Parameters
    ----------
    roles : list of :class:`~blocks.roles.VariableRole` instances, optional
        Matches variables with any of the roles (or of their sub-roles).
    bricks : list of :class:`~blocks.bricks.Brick` classes or instances, optional
        Matches variables annotated with a brick that is an instance of one
        of the classes or is one of the instances.
    each_role : bool, optional
        If True, a variable must have every role in `roles`. False by
        default.
    name : str, optional
        The Blocks name (``var.tag.name``).
    name_regex : str, optional
        A regular expression matched (from the start) against the Blocks
        name.
    theano_name : str, optional
        The symbolic name (``var.name``).
    theano_name_regex : str, optional
        A regular expression matched (from the start) against the symbolic
        name.
    call_id : any, optional
        Matches variables made by an application call with this
        ``call_id``.
    applications : list of :class:`~blocks.bricks.base.Application` or
        :class:`~blocks.bricks.base.BoundApplication`, optional
        Matches variables made by any of these applications; an unbound
        application matches the calls of every brick.

    Notes
    -----
    Only auxiliary variables, parameters, inputs and outputs are annotated
    with the brick that created them; other variables made while applying
    a brick are filtered out by the `bricks` criterion.

    Bricks may have non-shared variables as parameters (e.g. the transpose
    of another brick's weights), so filtering by the
    :data:`~blocks.roles.PARAMETER` role alone may return more than the
    trainable shared variables; combine it with
    :func:`~blocks.utils.is_shared_variable` when that matters.

    Examples
    --------
    >>> from blocks.bricks import MLP, Linear, Logistic, Identity
    >>> from blocks.roles import BIAS
    >>> mlp = MLP(activations=[Identity(), Logistic()], dims=[20, 10, 20])
    >>> from symbolic import tensor
    >>> x = tensor.matrix()
    >>> y_hat = mlp.apply(x)
    >>> from blocks.graph import ComputationGraph
    >>> cg = ComputationGraph(y_hat)
    >>> from blocks.filter import VariableFilter
    >>> var_filter = VariableFilter(roles=[BIAS],
    ...                             bricks=[mlp.linear_transformations[0]])
    >>> var_filter(cg.variables)
    [b]

    """

    def __init__(
        self,
        roles=None,
        bricks=None,
        each_role=False,
        name=None,
        name_regex=None,
        theano_name=None,
        theano_name_regex=None,
        call_id=None,
        applications=None,
    ):
        if bricks is not None and not all(
            isinstance(brick, Brick) or (isclass(brick) and issubclass(brick, Brick))
            for brick in bricks
        ):
            raise ValueError(
                f"VariableFilter: bricks must be Brick instances or classes, got "
                f"{bricks!r}"
            )
        if applications is not None and not all(
            isinstance(app, (Application, BoundApplication)) for app in applications
        ):
            raise ValueError(
                f"VariableFilter: applications must be Application or "
                f"BoundApplication objects, got {applications!r}"
            )
        self.roles = roles
        self.bricks = bricks
        self.each_role = each_role
        self.name = name
        self.name_regex = name_regex
        self.theano_name = theano_name
        self.theano_name_regex = theano_name_regex
        self.call_id = call_id
        self.applications = applications

    def __call__(self, variables):
        """Filter the given variables.

        Parameters
        ----------
        variables : iterable of :class:`~tensor.TensorVariable`
            The variables to filter; a ComputationGraph works too.

        Returns
        -------
        list of :class:`~tensor.TensorVariable`

        """
        return [var for var in variables if self._matches(var)]

    def _matches(self, var):
        if self.roles is not None and not has_roles(var, self.roles, self.each_role):
            return False
        if self.bricks is not None:
            brick = get_brick(var)
            if brick is None or not any(
                isinstance(brick, wanted) if isclass(wanted) else brick is wanted
                for wanted in self.bricks
            ):
                return False
        if self.name is not None and getattr(var.tag, "name", None) != self.name:
            return False
        if self.name_regex is not None:
            tag_name = getattr(var.tag, "name", None)
            if tag_name is None or not re.match(self.name_regex, tag_name):
                return False
        if self.theano_name is not None and var.name != self.theano_name:
            return False
        if self.theano_name_regex is not None and (
            var.name is None or not re.match(self.theano_name_regex, var.name)
        ):
            return False
        if self.call_id is not None:
            call = get_application_call(var)
            if call is None or call.metadata.get("call_id") != self.call_id:
                return False
        if self.applications is not None:
            call = get_application_call(var)
            if call is None or not any(
                self._same_application(call.application, app)
                for app in self.applications
            ):
                return False
        return True

    @staticmethod
    def _same_application(made_by, wanted):
        if isinstance(wanted, BoundApplication):
            return made_by is wanted
        return made_by.application is wanted
