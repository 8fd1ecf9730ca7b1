import pickle

import pytest

from blocks import roles
from blocks.roles import (
    BATCH_NORM_POPULATION_MEAN,
    BATCH_NORM_SHIFT_PARAMETER,
    BIAS,
    FILTER,
    INPUT,
    PARAMETER,
    PERSISTENT,
    WEIGHT,
    VariableRole,
    add_role,
    has_roles,
)
from symbolic import tensor


def test_roles_pickle():
    for role in (INPUT, WEIGHT, BATCH_NORM_POPULATION_MEAN):
        assert pickle.loads(pickle.dumps(role)) == role


def test_repr_is_upper_snake_case():
    assert repr(BATCH_NORM_POPULATION_MEAN) == "BATCH_NORM_POPULATION_MEAN"
    assert repr(INPUT) == "INPUT"
    assert str(roles.INITIAL_STATE) == "INITIAL_STATE"


def test_every_role_is_the_instance_of_its_class():
    singletons = [getattr(roles, name) for name in roles.__all__ if name.isupper()]
    assert len(singletons) == 25
    for role in singletons:
        assert isinstance(role, VariableRole)
        assert type(role).__name__.endswith("Role")


def test_hierarchy():
    assert isinstance(FILTER, type(WEIGHT))
    assert isinstance(WEIGHT, type(PARAMETER))
    assert isinstance(PARAMETER, type(PERSISTENT))
    assert isinstance(BATCH_NORM_SHIFT_PARAMETER, type(BIAS))
    assert isinstance(roles.COLLECTOR, type(PARAMETER))
    assert isinstance(roles.ALGORITHM_BUFFER, type(roles.ALGORITHM_STATE))
    assert isinstance(roles.BATCH_NORM_OFFSET, type(roles.BATCH_NORM_GRAPH_VARIABLE))


def test_add_role_keeps_the_most_specific():
    var = tensor.matrix()
    add_role(var, PARAMETER)
    assert var.tag.roles == [PARAMETER]
    add_role(var, WEIGHT)
    assert var.tag.roles == [WEIGHT]
    add_role(var, PARAMETER)
    assert var.tag.roles == [WEIGHT]
    add_role(var, INPUT)
    assert var.tag.roles == [WEIGHT, INPUT]


def test_add_role_reassigns_the_list():
    var = tensor.matrix()
    add_role(var, INPUT)
    before = var.tag.roles
    add_role(var, WEIGHT)
    assert before == [INPUT]


def test_add_role_rejects_non_roles():
    with pytest.raises(TypeError, match="VariableRole"):
        add_role(tensor.matrix(), "WEIGHT")


def test_has_roles():
    var = tensor.matrix()
    add_role(var, WEIGHT)
    add_role(var, INPUT)
    assert has_roles(var, [PARAMETER])
    assert has_roles(var, [BIAS, INPUT])
    assert not has_roles(var, [BIAS, INPUT], match_all=True)
    assert has_roles(var, [PARAMETER, INPUT], match_all=True)
    assert not has_roles(tensor.matrix(), [INPUT])
