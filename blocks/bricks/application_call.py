"""The annotation each call of a brick's application leaves on its variables."""

from blocks.bricks.tagging import variable_name
from blocks.graph.annotations import Annotation, add_annotation
from blocks.utils import repr_attrs

__all__ = ["ApplicationCall"]


class ApplicationCall(Annotation):
    """The annotation of one call of an application.

    Every input and output of the call carries it, so the auxiliary
    variables and updates added during the call can be found from the
    graph.

    Parameters
    ----------
    application : BoundApplication
        The application that was called.

    Attributes
    ----------
    application : BoundApplication
        The application that was called.
    metadata : dict
        Data about the call: ``call_id`` (the ``call_id`` keyword of the
        call) and whatever the application adds.

    """

    # Blocks' path: its repr and pickles name the class there.
    __module__ = "blocks.bricks.base"

    def __init__(self, application):
        super().__init__()
        self.application = application
        self.metadata = {}

    def add_auxiliary_variable(self, variable, roles=None, name=None):
        """Attach an auxiliary variable to the call.

        The variable is annotated with the brick as well as the call. A
        `name` is expanded to ``<brick>_<application>_<name>`` for the
        symbolic name; ``tag.name`` gets `name` itself.

        """
        if name:
            variable.name = variable_name(
                self.application.brick.name, self.application.name, name
            )
            variable.tag.name = name
        add_annotation(variable, self.application.brick)
        super().add_auxiliary_variable(variable, roles)

    def __repr__(self):
        # Blocks shows the default object repr; the application follows it.
        return repr_attrs(self, "application")
