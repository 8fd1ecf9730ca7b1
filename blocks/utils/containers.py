"""Containers with hooks on insertion and removal."""

from collections.abc import MutableSequence


class AnnotatingList(MutableSequence):
    """A list that calls hooks when items are set, inserted or deleted.

    Subclasses override :meth:`_setitem` and :meth:`_delitem`; both run
    before the list changes, so raising from them vetoes the change.

    Parameters
    ----------
    items : iterable, optional
        The initial items, added one by one through the hooks.

    Examples
    --------
    >>> class Noisy(AnnotatingList):
    ...     def _setitem(self, key, value):
    ...         print('set', key, value)
    >>> items = Noisy([1])
    set 0 1
    >>> items.append(2)
    set 1 2
    >>> items
    [1, 2]

    """

    def __init__(self, items=None):
        self._items = []
        for item in items or []:
            self.append(item)

    def __repr__(self):
        return repr(self._items)

    def __eq__(self, other):
        return self._items == other

    def __ne__(self, other):
        return self._items != other

    __hash__ = None

    def __getitem__(self, key):
        return self._items[key]

    def __setitem__(self, key, value):
        if isinstance(key, slice):
            raise TypeError(f"{type(self).__name__} does not support slice assignment")
        self._setitem(key, value)
        self._items[key] = value

    def __delitem__(self, key):
        if isinstance(key, slice):
            for index in reversed(range(*key.indices(len(self._items)))):
                del self[index]
            return
        self._delitem(key)
        del self._items[key]

    def __len__(self):
        return len(self._items)

    def insert(self, key, value):
        """Insert `value` before position `key`, through the hook."""
        self._setitem(key, value)
        self._items.insert(key, value)

    def _setitem(self, key, value):
        """Hook run before `value` is stored at `key`."""

    def _delitem(self, key):
        """Hook run before the item at `key` is removed."""
