"""The annotated list of a brick's parameters."""

from blocks.graph.annotations import add_annotation
from blocks.roles import PARAMETER, add_role
from blocks.utils.containers import AnnotatingList
from symbolic import tensor


class Parameters(AnnotatingList):
    """The parameters of a brick.

    Adding a variable gives it the :data:`~blocks.roles.PARAMETER` role and
    annotates it with the brick; removing it drops the annotation.

    Parameters
    ----------
    brick : Brick
        The owner of the parameters.
    items : iterable, optional
        The initial parameters.

    """

    def __init__(self, brick, items=None):
        self.brick = brick
        super().__init__(items)

    def _setitem(self, key, value):
        if isinstance(value, tensor.Variable):
            add_role(value, PARAMETER)
            add_annotation(value, self.brick)

    def _delitem(self, key):
        old_value = self._items[key]
        if isinstance(old_value, tensor.Variable):
            annotations = getattr(old_value.tag, "annotations", [])
            old_value.tag.annotations = [
                annotation for annotation in annotations if annotation is not self.brick
            ]
