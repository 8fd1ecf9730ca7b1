"""Annotations: objects attached to variables through ``var.tag.annotations``.

Bricks and application calls are annotations. An annotation can carry
auxiliary variables (quantities worth monitoring, such as weight norms) and
updates; :class:`~blocks.graph.ComputationGraph` collects both from every
variable it finds.

"""

from collections import OrderedDict

from blocks.roles import AUXILIARY, add_role


def add_annotation(var, annotation):
    """Append an annotation to a variable's ``tag.annotations``.

    The list is reassigned, never changed in place, so graph clones (which
    copy tags shallowly) do not share it.

    Parameters
    ----------
    var : :class:`~tensor.Variable`
        The variable to annotate.
    annotation : object
        The annotation.

    Raises
    ------
    ValueError
        If the variable already has an annotation of the same class.

    """
    annotations = getattr(var.tag, "annotations", [])
    for old_annotation in annotations:
        if old_annotation.__class__ == annotation.__class__:
            raise ValueError(
                f"variable {var} already has an annotation of class "
                f"{annotation.__class__.__name__} ({old_annotation!r}); "
                f"cannot add {annotation!r}"
            )
    var.tag.annotations = [*annotations, annotation]


class Annotation:
    """Base class for annotations of symbolic variables.

    Attributes
    ----------
    auxiliary_variables : list of :class:`~tensor.TensorVariable`
        Variables of interest that are not part of the main graph, e.g.
        the norm of a weight matrix.
    updates : OrderedDict
        Pairs of (shared variable, new value) to be applied whenever the
        graph is evaluated.

    """

    def __init__(self):
        self.auxiliary_variables = []
        self.updates = OrderedDict()

    def add_auxiliary_variable(self, variable, roles=None, name=None):
        """Attach an auxiliary variable to this annotation.

        The variable is annotated with this annotation and gets the
        :data:`~blocks.roles.AUXILIARY` role.

        Parameters
        ----------
        variable : :class:`~tensor.TensorVariable`
            The variable to add.
        roles : list of :class:`~blocks.roles.VariableRole`, optional
            More roles to give the variable.
        name : str, optional
            A name to give the variable (both ``name`` and ``tag.name``).

        """
        add_annotation(variable, self)
        if name is not None:
            variable.name = name
            variable.tag.name = name
        add_role(variable, AUXILIARY)
        for role in roles or []:
            add_role(variable, role)
        self.auxiliary_variables.append(variable)
