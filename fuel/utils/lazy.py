"""Attributes that are loaded on first use and left out of pickles."""

import logging
from collections.abc import Iterator

logger = logging.getLogger(__name__)


def lazy_property_factory(lazy_property):
    """Return the getter and setter of a property loaded on first use.

    The value lives in ``self._<lazy_property>``. When it is missing, the
    getter calls ``self.load()`` first.

    Parameters
    ----------
    lazy_property : str
        The property's name.

    Returns
    -------
    getter, setter : callable

    """
    private = "_" + lazy_property

    def getter(self):
        if private not in self.__dict__:
            self.load()
        if private not in self.__dict__:
            raise ValueError(
                f"{type(self).__name__}.load() did not set {lazy_property!r}: "
                f"{lazy_property} wasn't loaded"
            )
        return self.__dict__[private]

    def setter(self, value):
        self.__dict__[private] = value

    return getter, setter


def do_not_pickle_attributes(*lazy_properties):
    """Class decorator: attributes rebuilt by ``load()`` instead of pickled.

    Each named attribute becomes a property whose first read calls the
    class's ``load`` method. Unless the class defines ``__getstate__`` itself,
    the pickled state leaves these attributes out, so after unpickling they
    are loaded again (a dataset re-reads its file rather than carrying its
    arrays or an open file handle in a checkpoint).

    Parameters
    ----------
    *lazy_properties : str
        The attribute names.

    Raises
    ------
    ValueError
        When the decorated class has no ``load`` method.

    Notes
    -----
    Python 3.11 gave ``object`` a ``__getstate__``, so upstream Fuel's test
    ``hasattr(cls, '__getstate__')`` never installs its own. The check here
    looks at the class's own namespace.

    """

    def wrap_class(cls):
        if not hasattr(cls, "load"):
            raise ValueError(
                f"do_not_pickle_attributes needs {cls.__name__} to define a "
                f"load() method that sets {', '.join(lazy_properties)}"
            )
        for name in lazy_properties:
            setattr(cls, name, property(*lazy_property_factory(name)))
        inherited = getattr(cls, "_not_pickled_attributes", ())
        cls._not_pickled_attributes = tuple(inherited) + tuple(lazy_properties)
        # Install ours unless the class (or a parent) wrote its own.
        if cls.__getstate__ in (object.__getstate__, _getstate_without_lazy):
            cls.__getstate__ = _getstate_without_lazy
        return cls

    return wrap_class


def _getstate_without_lazy(self):
    """The instance's ``__dict__`` less the attributes ``load()`` rebuilds."""
    state = dict(self.__dict__)
    for name in type(self)._not_pickled_attributes:
        private = "_" + name
        if private in state:
            if isinstance(state[private], Iterator):
                raise ValueError(
                    f"{type(self).__name__}.{name} is an iterator; dropping "
                    f"it from the pickle would lose its position"
                )
            del state[private]
    return state
