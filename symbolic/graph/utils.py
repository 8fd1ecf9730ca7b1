"""Small helpers of the IR: the tag namespace and the unique-id counter."""

import itertools


class scratchpad:
    """A free namespace for attributes; the type of ``Variable.tag``.

    Any attribute may be set; it pickles; ``copy()`` is shallow.
    """

    def __init__(self, **kwargs):
        self.__dict__.update(kwargs)

    def clear(self):
        self.__dict__.clear()

    def copy(self):
        new = scratchpad()
        new.__dict__.update(self.__dict__)
        return new

    def update(self, other):
        self.__dict__.update(other.__dict__)
        return self

    def __eq__(self, other):
        return type(self) is type(other) and self.__dict__ == other.__dict__

    __hash__ = object.__hash__

    def __repr__(self):
        return f"scratchpad{self.__dict__}"

    def __getstate__(self):
        from symbolic.config import config

        state = dict(self.__dict__)
        if not config.pickle_test_value:
            state.pop("test_value", None)
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)


class ValidatingScratchpad(scratchpad):
    """A scratchpad whose ``test_value`` attribute is checked by a filter."""

    def __init__(self, attr, attr_filter):
        # Every Variable gets one: fill the namespace directly, skipping the
        # validating ``__setattr__``.
        namespace = self.__dict__
        namespace["_attr"] = attr
        namespace["_attr_filter"] = attr_filter

    def __setattr__(self, name, value):
        if name == self.__dict__.get("_attr"):
            value = self._attr_filter(value)
        object.__setattr__(self, name, value)

    def copy(self):
        new = ValidatingScratchpad(self._attr, self._attr_filter)
        new.__dict__.update(self.__dict__)
        return new


_ids = itertools.count()


def next_auto_id():
    """Return a process-unique increasing integer."""
    return next(_ids)


class MethodNotDefined(NotImplementedError):
    """An Op does not implement an optional method."""
