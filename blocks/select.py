"""Select bricks and parameters in a brick hierarchy by path."""

import logging
import re
from collections import OrderedDict

from blocks.bricks.base import Brick
from blocks.utils import dict_union

logger = logging.getLogger(__name__)

__all__ = ["Path", "Selector"]

name_collision_error_message = """

The path {} appears more than once. Make sure that the children of every
brick have distinct names, and that the parameters of a brick (user-defined
shared variables included) have distinct names: the path of a parameter is
the names of the bricks from the root down to its owner, followed by the
parameter's name."""


class Path:
    """A path in a hierarchy of bricks, e.g. ``/mlp/linear_0.W``.

    The nodes are brick names, each written after a ``/``, optionally
    followed by one parameter name, written after a ``.``.

    Parameters
    ----------
    nodes : list or tuple of :class:`Path.BrickName` and
        :class:`Path.ParameterName`
        The nodes of the path.

    Attributes
    ----------
    nodes : tuple
        The nodes of the path.

    Examples
    --------
    >>> path = Path.parse('/mlp/linear_0.W')
    >>> path.nodes
    ('mlp', 'linear_0', 'W')
    >>> str(path)
    '/mlp/linear_0.W'

    """

    separator = "/"
    parameter_separator = "."
    separator_re = re.compile(f"([{re.escape(separator + parameter_separator)}])")

    class BrickName(str):
        """The name of a brick in a path."""

        def part(self):
            return Path.separator + self

    class ParameterName(str):
        """The name of a parameter at the end of a path."""

        def part(self):
            return Path.parameter_separator + self

    def __init__(self, nodes):
        if not isinstance(nodes, (list, tuple)):
            raise ValueError(f"a Path needs a list or tuple of nodes, got {nodes!r}")
        self.nodes = tuple(nodes)

    def __str__(self):
        return "".join(node.part() for node in self.nodes)

    def __repr__(self):
        return repr(str(self))

    def __add__(self, other):
        return Path(self.nodes + other.nodes)

    def __eq__(self, other):
        # A path equals its string form too, so that the string keys of
        # Selector.get_parameters can be looked up by Path.
        if isinstance(other, str):
            return str(self) == other
        return isinstance(other, Path) and self.nodes == other.nodes

    def __hash__(self):
        return hash(str(self))

    @staticmethod
    def parse(string):
        """Construct a path from its string form.

        Parameters
        ----------
        string : str
            E.g. ``'/mlp/linear_0.W'``.

        Returns
        -------
        Path

        Raises
        ------
        ValueError
            If the string does not start with a separator, has an empty
            node, or has a node after a parameter name.

        """
        elements = Path.separator_re.split(string)
        if elements[0] or len(elements) < 3:
            raise ValueError(f"a path must start with '/' or '.': {string!r}")
        nodes = []
        for separator, part in zip(elements[1::2], elements[2::2], strict=True):
            if not part:
                raise ValueError(f"empty node in path {string!r}")
            if nodes and isinstance(nodes[-1], Path.ParameterName):
                raise ValueError(f"a parameter name must end the path: {string!r}")
            if separator == Path.separator:
                nodes.append(Path.BrickName(part))
            else:
                nodes.append(Path.ParameterName(part))
        return Path(nodes)


class Selector:
    """A selection of bricks in a hierarchy.

    Parameters
    ----------
    bricks : list of Brick
        The bricks of the selection.

    """

    def __init__(self, bricks):
        if isinstance(bricks, Brick):
            bricks = [bricks]
        self.bricks = list(bricks)

    def select(self, path):
        """Select the part of the current selection that matches a path.

        Parameters
        ----------
        path : Path or str
            The path; a string is parsed with :meth:`Path.parse`. Its first
            node matches the selected bricks themselves.

        Returns
        -------
        Selector or list
            A Selector of the matching bricks, or, for a path that ends in
            a parameter name, the list of matching parameters.

        Notes
        -----
        The search is cubic in the number of bricks; hierarchies are small.

        """
        if isinstance(path, str):
            path = Path.parse(path)
        current = [None]
        for node in path.nodes:
            if isinstance(node, Path.ParameterName):
                return list(Selector(current).get_parameters(node).values())
            following = []
            for brick in current:
                candidates = brick.children if brick is not None else self.bricks
                for child in candidates:
                    if child.name == node and child not in following:
                        following.append(child)
            current = following
        logger.debug("path %s selects %d bricks", path, len(current))
        return Selector(current)

    def get_parameters(self, parameter_name=None):
        """Return the parameters of the selected bricks and their descendants.

        Parameters
        ----------
        parameter_name : str, optional
            If given, only parameters with this name are returned.

        Returns
        -------
        OrderedDict
            Maps the string of each parameter's :class:`Path` (e.g.
            ``'/mlp/linear_0.W'``) to the parameter. A :class:`Path` equals
            its string, so it looks the parameter up as well.

        Raises
        ------
        ValueError
            If two parameters have the same path.

        Examples
        --------
        >>> from blocks.bricks import MLP, Tanh
        >>> mlp = MLP([Tanh(), Tanh(), Tanh()], [5, 7, 11, 2])
        >>> mlp.allocate()
        >>> selector = Selector([mlp])
        >>> selector.get_parameters()  # doctest: +NORMALIZE_WHITESPACE
        OrderedDict([('/mlp/linear_0.W', W), ('/mlp/linear_0.b', b),
        ('/mlp/linear_1.W', W), ('/mlp/linear_1.b', b),
        ('/mlp/linear_2.W', W), ('/mlp/linear_2.b', b)])

        Or, select just the weights of the MLP by passing the parameter
        name ``W``:

        >>> w_select = Selector([mlp])
        >>> w_select.get_parameters('W')  # doctest: +NORMALIZE_WHITESPACE
        OrderedDict([('/mlp/linear_0.W', W), ('/mlp/linear_1.W', W),
        ('/mlp/linear_2.W', W)])

        """

        def recursion(brick):
            result = OrderedDict(
                (
                    Path(
                        [Path.BrickName(brick.name), Path.ParameterName(parameter.name)]
                    ),
                    parameter,
                )
                for parameter in brick.parameters
                if not parameter_name or parameter.name == parameter_name
            )
            for child in brick.children:
                for path, parameter in recursion(child).items():
                    new_path = Path([Path.BrickName(brick.name)]) + path
                    if new_path in result:
                        raise ValueError(
                            f"name collision while retrieving parameters: {new_path}"
                            + name_collision_error_message.format(new_path)
                        )
                    result[new_path] = parameter
            return result

        try:
            parameters = dict_union(
                OrderedDict(), *(recursion(brick) for brick in self.bricks)
            )
        except ValueError as error:
            if "name collision" in str(error):
                raise
            raise ValueError(
                f"name collision between the selected bricks: {error}"
            ) from error
        # Blocks keys the result by the paths' strings.
        return OrderedDict((str(path), value) for path, value in parameters.items())
