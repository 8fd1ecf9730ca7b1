import pytest

from blocks.utils.containers import AnnotatingList


class Recording(AnnotatingList):
    def __init__(self, items=None):
        self.log = []
        super().__init__(items)

    def _setitem(self, key, value):
        self.log.append(("set", key, value))

    def _delitem(self, key):
        self.log.append(("del", key, self._items[key]))


def test_annotating_list():
    items = Recording([1, 2])
    assert items == [1, 2]
    assert items.log == [("set", 0, 1), ("set", 1, 2)]
    items[0] = 5
    assert items == [5, 2]
    assert items.log[-1] == ("set", 0, 5)
    items.append(3)
    items.insert(0, 0)
    assert list(items) == [0, 5, 2, 3]
    del items[1]
    assert items.log[-1] == ("del", 1, 5)
    items.remove(3)
    assert items == [0, 2] and items != [0]
    assert len(items) == 2
    assert repr(items) == "[0, 2]"
    del items[:]
    assert items == []


def test_hooks_can_veto():
    class Positive(AnnotatingList):
        def _setitem(self, key, value):
            if value <= 0:
                raise ValueError("positive only")

    items = Positive([1])
    with pytest.raises(ValueError):
        items.append(-1)
    assert items == [1]
    with pytest.raises(TypeError, match="slice"):
        items[0:1] = [3]
