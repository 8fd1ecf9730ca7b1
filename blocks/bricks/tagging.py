"""Identity copies that mark a brick application's inputs and outputs."""

import logging

from blocks.graph.annotations import add_annotation
from blocks.roles import add_role

logger = logging.getLogger(__name__)


def variable_name(brick_name, application_name, name):
    """The name Blocks gives a tagged copy: ``<brick>_<application>_<name>``."""
    return f"{brick_name}_{application_name}_{name}"


def copy_and_tag(variable, brick, call, role, application_name, name):
    """Copy a variable and annotate the copy for an application call.

    Parameters
    ----------
    variable : :class:`~tensor.TensorVariable`
        The input or output of the call.
    brick : Brick
        The brick that was applied.
    call : ApplicationCall
        The call.
    role : :class:`~blocks.roles.VariableRole`
        :data:`~blocks.roles.INPUT` or :data:`~blocks.roles.OUTPUT`.
    application_name : str
        The name of the application.
    name : str
        The name of the argument or output.

    Returns
    -------
    :class:`~tensor.TensorVariable`
        An identity copy named ``<brick>_<application>_<name>``, with
        ``tag.name`` `name`, the role and both annotations.

    """
    copy = variable.copy()
    if brick.print_shapes:
        copy = _put_shape_hook(copy, variable_name(brick.name, application_name, name))
    copy.name = variable_name(brick.name, application_name, name)
    add_annotation(copy, brick)
    add_annotation(copy, call)
    copy.tag.name = name
    add_role(copy, role)
    return copy


def _put_shape_hook(variable, name):
    from blocks.utils.theano_utils import put_hook

    return put_hook(variable, _ShapeLogger(name))


class _ShapeLogger:
    """Hook that logs the shape of a value (for ``Brick.print_shapes``)."""

    def __init__(self, name):
        self.name = name

    def __call__(self, value):
        logger.info("%s: shape %s", self.name, value.shape)
