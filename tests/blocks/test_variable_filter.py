import pytest

from blocks.bricks import Bias, Linear, Logistic
from blocks.bricks.parallel import Merge
from blocks.filter import VariableFilter, get_annotation, get_application_call
from blocks.graph import ComputationGraph
from blocks.roles import BIAS, FILTER, INPUT, OUTPUT, PARAMETER, WEIGHT, add_role
from symbolic import tensor


def test_variable_filter():
    # Creating computation graph
    brick1 = Linear(input_dim=2, output_dim=2, name="linear1")
    brick2 = Bias(2, name="bias1")
    activation = Logistic(name="sigm")

    x = tensor.vector()
    h1 = brick1.apply(x, call_id="brick1_call_id")
    h2 = activation.apply(h1, call_id="act")
    h2.name = "h2act"
    y = brick2.apply(h2)
    cg = ComputationGraph(y)

    parameters = [brick1.W, brick1.b, brick2.parameters[0]]
    bias = [brick1.b, brick2.parameters[0]]
    brick1_bias = [brick1.b]

    # Testing filtering by role
    role_filter = VariableFilter(roles=[PARAMETER])
    assert parameters == role_filter(cg.variables)
    role_filter = VariableFilter(roles=[FILTER])
    assert [] == role_filter(cg.variables)

    # Testing filtering by role using each_role flag
    role_filter = VariableFilter(roles=[PARAMETER, BIAS])
    assert parameters == role_filter(cg.variables)
    role_filter = VariableFilter(roles=[PARAMETER, BIAS], each_role=True)
    assert not parameters == role_filter(cg.variables)
    assert bias == role_filter(cg.variables)

    # Testing filtering by bricks classes
    brick_filter = VariableFilter(roles=[BIAS], bricks=[Linear])
    assert brick1_bias == brick_filter(cg.variables)

    # Testing filtering by bricks instances
    brick_filter = VariableFilter(roles=[BIAS], bricks=[brick1])
    assert brick1_bias == brick_filter(cg.variables)

    # Testing filtering by brick instance
    brick_filter = VariableFilter(roles=[BIAS], bricks=[brick1])
    assert brick1_bias == brick_filter(cg.variables)

    # Testing filtering by name
    name_filter = VariableFilter(name="W_norm")
    assert [cg.variables[2]] == name_filter(cg.variables)

    # Testing filtering by name regex
    name_filter_regex = VariableFilter(name_regex="W_no.?m")
    assert [cg.variables[2]] == name_filter_regex(cg.variables)

    # Testing filtering by theano name
    theano_name_filter = VariableFilter(theano_name="h2act")
    assert [h2] == theano_name_filter(cg.variables)

    # Testing filtering by theano name regex
    theano_name_filter_regex = VariableFilter(theano_name_regex="h2a.?t")
    assert [h2] == theano_name_filter_regex(cg.variables)

    # Testing filtering by application
    appli_filter = VariableFilter(applications=[brick1.apply])
    variables = [cg.variables[1], cg.variables[8]]
    assert variables == appli_filter(cg.variables)

    # Testing filtering by unbound application
    appli_filter = VariableFilter(applications=[Linear.apply])
    assert variables == appli_filter(cg.variables)

    # Testing filtering by call id
    call_filter = VariableFilter(call_id="brick1_call_id")
    assert variables == call_filter(cg.variables)

    # Testing filtering by several criteria
    input_output = VariableFilter(roles=[INPUT, OUTPUT], bricks=[activation])
    assert [var.tag.name for var in input_output(cg.variables)] == [
        "input_",
        "output",
    ]


def test_variable_filter_roles_error():
    # Creating computation graph
    brick1 = Linear(input_dim=2, output_dim=2, name="linear1")

    x = tensor.vector()
    h1 = brick1.apply(x)
    cg = ComputationGraph(h1)
    # testing role error
    with pytest.raises(TypeError):
        VariableFilter(roles=PARAMETER)(cg.variables)


def test_variable_filter_applications_error():
    with pytest.raises(ValueError, match="applications"):
        VariableFilter(applications=["nope"])
    with pytest.raises(ValueError, match="bricks"):
        VariableFilter(bricks=["nope"])


def test_filter_merge_children():
    merge = Merge(["a", "b"], [2, 3], 4)
    a, b = tensor.matrix("a"), tensor.matrix("b")
    cg = ComputationGraph(merge.apply(a, b))
    weights = VariableFilter(roles=[WEIGHT], bricks=[Linear])(cg)
    assert len(weights) == 2


def test_get_annotation_helpers():
    x = tensor.vector()
    assert get_annotation(x, Linear) is None
    assert get_application_call(x) is None
    linear = Linear(2, 2)
    y = linear.apply(x)
    assert get_annotation(y, Linear) is linear
    add_role(x, INPUT)
    assert VariableFilter(bricks=[linear])([x]) == []
