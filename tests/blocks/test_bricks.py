import logging
import pickle

import numpy
import pytest
from numpy.testing import assert_allclose

import symbolic
from blocks.bricks import (
    MLP,
    Brick,
    FeedforwardSequence,
    Identity,
    Initializable,
    LeakyRectifier,
    Linear,
    LinearMaxout,
    Logistic,
    Maxout,
    Random,
    Rectifier,
    Sequence,
    Softplus,
    Tanh,
    application,
    lazy,
)
from blocks.bricks.base import (
    Application,
    ApplicationCall,
    BoundApplication,
    NoneAllocation,
    NoneInitialization,
)
from blocks.bricks.interfaces import RNGMixin
from blocks.config import config as blocks_config
from blocks.filter import get_application_call, get_brick
from blocks.initialization import Constant, IsotropicGaussian
from blocks.roles import INPUT, OUTPUT, PARAMETER, WEIGHT, has_roles
from symbolic import tensor
from symbolic.sandbox.rng_mrg import MRG_RandomStreams

floatX = symbolic.config.floatX


class DemoBrick(Brick):
    @lazy(allocation=["config"])
    def __init__(self, config, **kwargs):
        super().__init__(**kwargs)
        self.config = config

    @application
    def apply(self, x, y=1, **kwargs):
        if isinstance(x, list):
            x = x[0]
        return [x, y, *kwargs.values()]

    @application(inputs=["x"], outputs=["y"])
    def second_apply(self, x):
        return x + 1

    @second_apply.property("all")
    def second_apply_all(self):
        return [*self.second_apply.inputs, *self.second_apply.outputs]

    @application
    def delegated_apply(self, x, w):
        pass

    @delegated_apply.delegate
    def delegate(self):
        return self.second_apply

    @application
    def access_application_call(self, x, application_call):
        application_call.add_auxiliary_variable(
            symbolic.shared(numpy.ones((1,)), name="test_val"), name="test_val"
        )
        return x


class ParentBrick(Brick):
    def __init__(self, child=None, **kwargs):
        self.child = child if child is not None else DemoBrick(0)
        kwargs.setdefault("children", []).append(self.child)
        super().__init__(**kwargs)

    @application
    def apply(self, *args):
        return self.child.apply(*args)


class BrokenParent(Brick):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.stranger = DemoBrick(0)

    @application
    def apply(self, x):
        return self.stranger.second_apply(x)


def test_default_name_and_repr():
    brick = DemoBrick(0)
    assert brick.name == "demobrick"
    assert "name=demobrick" in repr(brick)
    assert DemoBrick(0, name="other").name == "other"


def test_lazy_arguments_default_to_sentinels():
    brick = DemoBrick()
    assert brick.config is NoneAllocation
    assert not NoneAllocation and not NoneInitialization
    assert repr(NoneAllocation) == "NoneAllocation"
    assert pickle.loads(pickle.dumps(NoneAllocation)) is NoneAllocation
    assert pickle.loads(pickle.dumps(NoneInitialization)) is NoneInitialization


def test_allocation_needs_config_and_names_brick():
    brick = DemoBrick(name="mine")
    with pytest.raises(ValueError, match=r"input|config") as info:
        brick.allocate()
    assert "DemoBrick.config" in str(info.value)
    assert "'mine'" in str(info.value)
    brick.config = 3
    brick.allocate()
    assert brick.allocated


def test_impossible_dimensions_name_the_brick():
    with pytest.raises(ValueError) as info:
        Linear(64, -3, weights_init=Constant(0), biases_init=Constant(0)).initialize()
    message = str(info.value)
    assert "'linear'" in message
    assert "output_dim=-3" in message


def test_linear_missing_input_dim_message():
    linear = Linear(output_dim=3)
    with pytest.raises(ValueError) as info:
        linear.apply(tensor.matrix())
    message = str(info.value)
    assert message.startswith("allocation config not set: input_dim")
    assert "Linear.input_dim" in message and "'linear'" in message


def test_parameters_before_allocation():
    linear = Linear(input_dim=2, output_dim=3)
    with pytest.raises(AttributeError, match="has no attribute 'parameters'"):
        linear.parameters
    linear.allocate()
    assert [p.name for p in linear.parameters] == ["W", "b"]


def test_initialize_allocates_first():
    linear = Linear(2, 3, weights_init=Constant(1), biases_init=Constant(0))
    linear.initialize()
    assert linear.allocated and linear.initialized
    assert_allclose(linear.W.get_value(), numpy.ones((2, 3)))


def test_initialize_without_scheme_names_attribute():
    linear = Linear(2, 3)
    with pytest.raises(ValueError, match="biases_init") as info:
        linear.initialize()
    assert "'linear'" in str(info.value)
    linear.biases_init = Constant(0)
    with pytest.raises(ValueError, match="weights_init"):
        linear.initialize()


def test_allocate_resets_parameters():
    linear = Linear(2, 3)
    linear.allocate()
    first = list(linear.parameters)
    linear.allocate()
    assert linear.parameters[0] is not first[0]
    assert len(linear.parameters) == 2
    assert len(linear.auxiliary_variables) == 2


def test_application_tags_inputs_and_outputs():
    brick = DemoBrick(0)
    x = tensor.vector("x")
    y = brick.second_apply(x)
    assert y.name == "demobrick_second_apply_y"
    assert y.tag.name == "y"
    assert has_roles(y, [OUTPUT])
    copied_input = y.owner.inputs[0].owner.inputs[0]
    assert copied_input.name == "demobrick_second_apply_x"
    assert has_roles(copied_input, [INPUT])
    assert copied_input.owner.inputs[0] is x
    assert get_brick(y) is brick
    call = get_application_call(y)
    assert isinstance(call, ApplicationCall)
    assert call is get_application_call(copied_input)
    assert call.application is brick.second_apply
    assert call.metadata["call_id"] is None


def test_application_outputs_without_declaration():
    brick = DemoBrick(0)
    x = tensor.vector("x")
    outputs = brick.apply(x, x, z=x)
    assert [o.name for o in outputs] == [
        "demobrick_apply_output_0",
        "demobrick_apply_output_1",
        "demobrick_apply_output_2",
    ]
    assert outputs[1].owner.inputs[0].name == "demobrick_apply_y"
    assert outputs[2].owner.inputs[0].name == "demobrick_apply_z"


def test_varargs_inputs_are_numbered():
    parent = ParentBrick()
    x = tensor.vector("x")
    out = parent.apply(x, x)
    assert out[0].owner.inputs[0].owner.inputs[0].name.startswith("demobrick_apply")
    assert get_brick(out[0]) is parent


def test_as_dict_as_list_and_call_id():
    brick = DemoBrick(0)
    x = tensor.vector("x")
    result = brick.second_apply(x, as_dict=True)
    assert list(result) == ["y"]
    assert isinstance(brick.second_apply(x, as_list=True), list)
    with pytest.raises(ValueError):
        brick.second_apply(x, as_list=True, as_dict=True)
    y = brick.second_apply(x, call_id="c1")
    assert get_application_call(y).metadata["call_id"] == "c1"


def test_application_attributes_properties_and_delegates():
    brick = DemoBrick(0)
    assert isinstance(DemoBrick.second_apply, Application)
    assert isinstance(brick.second_apply, BoundApplication)
    assert brick.second_apply is brick.second_apply
    assert DemoBrick.second_apply.inputs == ["x"]
    assert brick.second_apply.outputs == ["y"]
    assert brick.second_apply.all == ["x", "y"]
    assert brick.delegated_apply.inputs == ["x"]
    assert brick.second_apply.name == "second_apply"
    with pytest.raises(AttributeError):
        DemoBrick.second_apply.all = 1
    with pytest.raises(ValueError, match="not arguments"):
        DemoBrick.second_apply.inputs = ["nope"]


def test_application_call_auxiliary_variables():
    brick = DemoBrick(0)
    x = tensor.vector("x")
    y = brick.access_application_call(x)
    call = get_application_call(y)
    (aux,) = call.auxiliary_variables
    assert aux.name == "demobrick_access_application_call_test_val"
    assert aux.tag.name == "test_val"
    assert get_brick(aux) is brick


def test_calling_a_non_child_warns():
    with pytest.warns(UserWarning, match="not one of its children"):
        BrokenParent().apply(tensor.vector())
    parent = ParentBrick()
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        parent.apply(tensor.vector())


def test_call_stack_is_empty_after_errors():
    class Failing(Brick):
        @application
        def apply(self, x):
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        Failing().apply(tensor.vector())
    assert Application.call_stack == []


def test_application_pickles_by_reference():
    assert pickle.loads(pickle.dumps(DemoBrick.second_apply)) is DemoBrick.second_apply
    brick = pickle.loads(pickle.dumps(DemoBrick(5)))
    assert brick.config == 5
    assert brick.second_apply.outputs == ["y"]


def test_children_record_parents():
    child = DemoBrick(0)
    parent = ParentBrick(child, name="parent")
    assert child.parents == [parent]
    parent.children.remove(child)
    assert child.parents == []
    with pytest.raises(TypeError, match="must be a Brick"):
        parent.children.append(3)


def test_get_dim_unknown_name():
    with pytest.raises(ValueError, match="no dimension"):
        DemoBrick(0).get_dim("nope")
    linear = Linear(3, 4)
    assert linear.get_dims(["input_", "output"]) == [3, 4]


def test_hierarchical_names_and_unique_path():
    mlp = MLP([Tanh(), Tanh()], [2, 3, 4])
    mlp.allocate()
    linear = mlp.linear_transformations[1]
    assert linear.get_unique_path() == [mlp, linear]
    assert linear.get_hierarchical_name(linear.W) == "/mlp/linear_1.W"
    assert linear.get_hierarchical_name(linear.b, delimiter="|") == "|mlp|linear_1.b"


def test_parameters_get_role_and_brick():
    linear = Linear(2, 3)
    linear.allocate()
    W, b = linear.parameters
    assert has_roles(W, [WEIGHT]) and has_roles(b, [PARAMETER])
    assert get_brick(W) is linear
    del linear.parameters[0]
    assert get_brick(W) is None


def test_rng(monkeypatch):
    monkeypatch.setattr(
        RNGMixin, "seed_rng", numpy.random.RandomState(blocks_config.default_seed)
    )
    linear = Linear()
    assert isinstance(linear.rng, numpy.random.RandomState)
    assert Linear(seed=1).rng.randint(1000) == 37
    first, second = Linear(), Linear()
    # Unseeded bricks draw their seeds, one after another, from the
    # class-wide generator seeded with default_seed.
    draws = numpy.random.RandomState(blocks_config.default_seed)
    max_seed = numpy.iinfo(numpy.int32).max
    assert [linear.seed, first.seed, second.seed] == [
        draws.randint(max_seed) for _ in range(3)
    ]
    assert first.seed != second.seed
    with pytest.raises(AttributeError, match="already set"):
        first.seed = 3
    late = Linear()
    late.seed = 4
    assert late.rng.randint(1000) == numpy.random.RandomState(4).randint(1000)


def test_initializable_accepts_rng():
    rng = numpy.random.RandomState(3)
    linear = Linear(2, 3, rng=rng, weights_init=IsotropicGaussian(), use_bias=False)
    assert linear.rng is rng
    linear.initialize()
    expected = numpy.random.RandomState(3).normal(size=(2, 3))
    assert_allclose(linear.W.get_value(), expected.astype(linear.W.dtype))


def test_parent_pushes_rng_and_schemes():
    mlp = MLP([Tanh()], [2, 3], weights_init=Constant(2), biases_init=Constant(1))
    mlp.initialize()
    (linear,) = mlp.linear_transformations
    assert linear.rng is mlp.rng
    assert linear.weights_init is mlp.weights_init
    assert_allclose(linear.b.get_value(), numpy.ones(3))


def test_random_brick():
    brick = Random()
    assert isinstance(brick.theano_rng, MRG_RandomStreams)
    assert Random().theano_seed != brick.theano_seed
    with pytest.raises(AttributeError):
        brick.theano_seed = 1
    fixed = Random(theano_seed=3)
    assert fixed.theano_seed == 3
    replacement = MRG_RandomStreams(5)
    fixed.theano_rng = replacement
    assert fixed.theano_rng is replacement


def test_random_seed_without_streams():
    assert Random(theano_seed=7).theano_seed == 7
    assert isinstance(Random().theano_seed, (int, numpy.integer))


def test_linear():
    x = tensor.matrix("x")
    linear = Linear(16, 8, weights_init=Constant(2), biases_init=Constant(1))
    y = linear.apply(x)
    linear.initialize()
    x_val = numpy.ones((4, 16), dtype=floatX)
    assert_allclose(y.eval({x: x_val}), x_val.dot(2 * numpy.ones((16, 8))) + 1)
    assert [v.name for v in linear.auxiliary_variables] == ["W_norm", "b_norm"]


def test_linear_without_bias_and_higher_rank_input():
    linear = Linear(3, 2, use_bias=False, weights_init=Constant(1))
    linear.initialize()
    assert len(linear.parameters) == 1
    with pytest.raises(AttributeError, match="use_bias=False"):
        linear.b
    x = tensor.tensor3("x")
    value = numpy.ones((2, 4, 3), dtype=floatX)
    assert linear.apply(x).eval({x: value}).shape == (2, 4, 2)


def test_linear_nan_until_initialized():
    linear = Linear(2, 3)
    linear.allocate()
    assert numpy.isnan(linear.W.get_value()).all()
    assert linear.W.dtype == floatX


def test_maxout():
    x = tensor.matrix()
    maxout = Maxout(num_pieces=3)
    y = maxout.apply(x)
    value = numpy.arange(12, dtype=floatX).reshape(2, 6)
    assert_allclose(y.eval({x: value}), [[2, 5], [8, 11]])


def test_linear_maxout():
    x = tensor.matrix()
    brick = LinearMaxout(
        3, 2, num_pieces=4, weights_init=Constant(1), biases_init=Constant(0)
    )
    y = brick.apply(x)
    brick.initialize()
    assert brick.linear.output_dim == 8
    assert brick.input_dim == 3
    assert_allclose(y.eval({x: numpy.ones((1, 3), dtype=floatX)}), [[3, 3]])


@pytest.mark.parametrize(
    ("brick", "function"),
    [
        (Identity(), lambda v: v),
        (Tanh(), numpy.tanh),
        (Logistic(), lambda v: 1 / (1 + numpy.exp(-v))),
        (Softplus(), lambda v: numpy.log1p(numpy.exp(v))),
        (Rectifier(), lambda v: numpy.maximum(v, 0)),
        (LeakyRectifier(leak=0.1), lambda v: numpy.where(v > 0, v, 0.1 * v)),
    ],
)
def test_activations(brick, function):
    x = tensor.matrix()
    value = numpy.linspace(-2, 2, 8).reshape(2, 4).astype(floatX)
    assert_allclose(brick.apply(x).eval({x: value}), function(value), rtol=1e-5)


def test_activation_docstrings():
    assert Tanh.__doc__ == "Elementwise application of tanh function."
    assert "tanh" in Tanh.apply.__doc__


def test_mlp():
    x = tensor.matrix()
    x_val = numpy.random.RandomState(1).uniform(size=(10, 16)).astype(floatX)
    mlp = MLP(
        activations=[Tanh(), None],
        dims=[16, 8, 4],
        weights_init=Constant(1),
        biases_init=Constant(1),
    )
    y = mlp.apply(x)
    mlp.initialize()
    hidden = numpy.tanh(x_val.dot(numpy.ones((16, 8))) + 1)
    assert_allclose(y.eval({x: x_val}), hidden.dot(numpy.ones((8, 4))) + 1, rtol=1e-5)
    assert [child.name for child in mlp.children] == ["linear_0", "tanh", "linear_1"]
    assert mlp.input_dim == 16 and mlp.output_dim == 4


def test_mlp_lazy_dims_and_missing_dims():
    mlp = MLP([Tanh(), Tanh()], dims=None)
    with pytest.raises(ValueError, match=r"dims .*MLP 'mlp'"):
        mlp.apply(tensor.matrix())
    mlp.dims = [3, 4, 5]
    mlp.allocate()
    assert mlp.linear_transformations[1].input_dim == 4


def test_mlp_wrong_number_of_dims():
    mlp = MLP([Tanh(), Tanh()], dims=[3, 4])
    with pytest.raises(ValueError, match="needs 3 dims"):
        mlp.allocate()


def test_mlp_use_bias_pushed_only_when_set():
    mlp = MLP([Tanh()], [2, 3], use_bias=False)
    mlp.allocate()
    assert len(mlp.linear_transformations[0].parameters) == 1
    mlp = MLP([Tanh()], [2, 3], prototype=Linear(use_bias=False))
    mlp.allocate()
    assert len(mlp.linear_transformations[0].parameters) == 1


def test_mlp_prototype_copies():
    mlp = MLP([None, None], [2, 3, 4], prototype=Linear(use_bias=False))
    assert [layer.name for layer in mlp.linear_transformations] == [
        "linear_0",
        "linear_1",
    ]
    assert mlp.linear_transformations[0] is not mlp.linear_transformations[1]


def test_sequence():
    x = tensor.matrix()
    linear1 = Linear(2, 3, weights_init=Constant(1), biases_init=Constant(0))
    linear2 = Linear(3, 4, weights_init=Constant(2), biases_init=Constant(1))
    sequence = Sequence([linear1.apply, Tanh(), linear2.apply])
    sequence.initialize()
    y = sequence.apply(x)
    value = numpy.ones((1, 2), dtype=floatX)
    assert_allclose(
        y.eval({x: value}), numpy.tanh(2 * numpy.ones((1, 3))).sum() * 2 + 1
    )
    assert sequence.apply.inputs == ["input_"]
    assert sequence.apply.outputs == ["output"]


def test_feedforward_sequence_dimension_mismatch_names_both_bricks():
    first = Linear(2, 3, name="first")
    second = Linear(5, 4, name="second")
    sequence = FeedforwardSequence([first.apply, second.apply])
    assert sequence.input_dim == 2 and sequence.output_dim == 4
    with pytest.raises(ValueError, match=r"'first'.*'second'"):
        sequence.allocate()


def test_initializable_without_biases_rejects_bias_config():
    class NoBiases(Initializable):
        has_biases = False

    with pytest.raises(ValueError, match="no biases"):
        NoBiases(biases_init=Constant(0))
    assert NoBiases().use_bias is False


def test_print_shapes_logs(caplog):
    linear = Linear(2, 3, weights_init=Constant(1), biases_init=Constant(0))
    linear.print_shapes = True
    x = tensor.matrix("x")
    y = linear.apply(x)
    linear.initialize()
    with caplog.at_level(logging.INFO, logger="blocks.bricks.tagging"):
        y.eval({x: numpy.ones((4, 2), dtype=floatX)})
    assert "linear_apply_output: shape (4, 3)" in caplog.text


def test_isotropic_gaussian_uses_brick_rng():
    linear = Linear(
        3, 2, weights_init=IsotropicGaussian(0.01), biases_init=Constant(0), seed=1
    )
    linear.initialize()
    expected = numpy.random.RandomState(1).normal(0, 0.01, size=(3, 2))
    assert_allclose(linear.W.get_value(), expected.astype(floatX), rtol=1e-6)


def test_application_call_repr_is_blocks_default_repr():
    class Foo(Brick):
        @application
        def apply(self, x, application_call):
            application_call.add_auxiliary_variable(x.mean())
            return x + 1

    call = get_application_call(Foo().apply(tensor.vector()))
    assert repr(call).startswith("<blocks.bricks.base.ApplicationCall object at 0x")
