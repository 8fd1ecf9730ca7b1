"""OrderedUpdates: the mapping type of scan's returned updates."""

import warnings
from collections import OrderedDict


class OrderedUpdates(OrderedDict):
    """An OrderedDict of ``{shared variable: new value}`` updates.

    Updating from an unordered dict warns (the order would be arbitrary);
    ``+`` merges two and raises when both update the same variable.
    """

    def __init__(self, *args, **kwargs):
        if (
            len(args) == 1
            and isinstance(args[0], dict)
            and not isinstance(args[0], OrderedDict)
            and len(args[0]) > 1
        ):
            warnings.warn(
                "initializing OrderedUpdates from an unordered dict", stacklevel=2
            )
        super().__init__(*args, **kwargs)

    def __setitem__(self, key, value):
        if not hasattr(key, "get_value"):
            raise TypeError(
                f"OrderedUpdates keys must be shared variables, got {key!r}"
            )
        super().__setitem__(key, value)

    def update(self, other=None, **kwargs):
        if other is None:
            return
        if (
            isinstance(other, dict)
            and not isinstance(other, OrderedDict)
            and len(other) > 1
        ):
            warnings.warn(
                "updating OrderedUpdates from an unordered dict", stacklevel=2
            )
        items = other.items() if isinstance(other, dict) else other
        for key, value in items:
            if key in self and self[key] is not value:
                raise KeyError(f"collision: {key} already has an update")
            self[key] = value

    def __add__(self, other):
        result = OrderedUpdates()
        result.update(self)
        result.update(other)
        return result

    def __radd__(self, other):
        result = OrderedUpdates()
        result.update(other)
        result.update(self)
        return result
