import pytest

import symbolic
from blocks.bricks import MLP, Brick, Tanh
from blocks.select import Path, Selector


class MockBrickTop(Brick):
    def __init__(self, children, **kwargs):
        super().__init__(**kwargs)
        self.children = children
        self.parameters = []


class MockBrickBottom(Brick):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.parameters = [symbolic.shared(0.0, name="V")]


def test_path():
    path1 = Path.parse("/brick")
    assert path1.nodes == ("brick",)
    assert isinstance(path1.nodes[0], Path.BrickName)
    path2 = Path.parse("/brick.W")
    assert path2.nodes == ("brick", "W")
    assert isinstance(path2.nodes[1], Path.ParameterName)
    path3 = Path.parse("/mlp/linear_0.W")
    assert str(path3) == "/mlp/linear_0.W"
    assert repr(path3) == "'/mlp/linear_0.W'"
    assert path1 + Path([Path.ParameterName("W")]) == path2
    assert hash(Path.parse("/a/b")) == hash(Path.parse("/a/b"))
    for bad in ("brick", "/a//b", "/a.W/b", ""):
        with pytest.raises(ValueError):
            Path.parse(bad)


def test_selector():
    b1 = MockBrickBottom(name="b1")
    b2 = MockBrickBottom(name="b2")
    b3 = MockBrickBottom(name="b3")
    t1 = MockBrickTop([b1, b2], name="t1")
    t2 = MockBrickTop([b2, b3], name="t2")

    s1 = Selector([t1])
    s11 = s1.select("/t1/b1")
    assert s11.bricks == [b1]
    s12 = s1.select("/t1")
    assert s12.bricks == [t1]

    s2 = Selector([t1, t2])
    s21 = s2.select("/t2/b2")
    assert s21.bricks == [b2]

    assert s2.select("/t2/b2.V") == b2.parameters
    assert s2.select("/t2/b2.W") == []
    assert s2.select(Path.parse("/t2/b2")).bricks == [b2]


def test_get_parameters():
    mlp = MLP([Tanh(), Tanh()], [5, 7, 11])
    mlp.allocate()
    parameters = Selector([mlp]).get_parameters()
    assert [str(path) for path in parameters] == [
        "/mlp/linear_0.W",
        "/mlp/linear_0.b",
        "/mlp/linear_1.W",
        "/mlp/linear_1.b",
    ]
    assert parameters[Path.parse("/mlp/linear_1.W")] is mlp.linear_transformations[1].W
    # As in Blocks, the keys are the paths' strings.
    assert all(type(path) is str for path in parameters)
    assert parameters["/mlp/linear_0.b"] is mlp.linear_transformations[0].b
    assert repr(parameters).startswith("OrderedDict([('/mlp/linear_0.W', W), (")
    weights = Selector([mlp]).get_parameters("W")
    assert list(weights.values()) == [layer.W for layer in mlp.linear_transformations]
    assert Selector(mlp).select("/mlp/linear_0.b") == [mlp.linear_transformations[0].b]


def test_name_collision():
    mlp = MLP([Tanh(), Tanh()], [5, 7, 11])
    mlp.allocate()
    mlp.linear_transformations[1].name = "linear_0"
    with pytest.raises(ValueError, match="name collision") as error:
        Selector([mlp]).get_parameters()
    assert "/mlp/linear_0.W appears more than once" in str(error.value)
    other = MLP([Tanh()], [5, 7])
    other.allocate()
    first = MLP([Tanh()], [5, 7])
    first.allocate()
    with pytest.raises(ValueError, match="collision"):
        Selector([first, other]).get_parameters()
