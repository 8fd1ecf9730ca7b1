"""Recurrent architectures: the simple transition, the LSTM and the GRU."""

import numpy

from blocks.bricks.base import application, lazy
from blocks.bricks.interfaces import Initializable
from blocks.bricks.recurrent.base import BaseRecurrent, recurrent
from blocks.bricks.simple import Logistic, Tanh
from blocks.roles import INITIAL_STATE, WEIGHT, add_role
from blocks.utils.theano_utils import shared_floatx_nans, shared_floatx_zeros
from symbolic import tensor

__all__ = ["LSTM", "GatedRecurrent", "SimpleRecurrent"]


def _keep_where_masked(mask, new, old):
    """`new` where `mask` (one value per example) is 1, `old` where it is 0."""
    return mask[:, None] * new + (1 - mask[:, None]) * old


def _batch_of(initial_state, batch_size):
    """Repeat a learned initial state vector `batch_size` times on axis 0."""
    return tensor.repeat(initial_state[None, :], batch_size, 0)


class SimpleRecurrent(BaseRecurrent, Initializable):
    """The traditional recurrent transition.

    The most well-known recurrent transition: a matrix multiplication,
    optionally followed by a non-linearity.

    Parameters
    ----------
    dim : int
        The dimension of the hidden state
    activation : :class:`~.bricks.Brick`
        The brick to apply as activation.

    Notes
    -----
    See :class:`.Initializable` for initialization parameters.

    The parameters are ``W`` of shape ``(dim, dim)`` (role
    :data:`~blocks.roles.WEIGHT`) and ``initial_state`` of shape
    ``(dim,)`` (role :data:`~blocks.roles.INITIAL_STATE`, zeros).

    """

    @lazy(allocation=["dim"])
    def __init__(self, dim, activation, **kwargs):
        super().__init__(**kwargs)
        self.dim = dim
        self.children = [activation]

    @property
    def W(self):
        return self.parameters[0]

    def get_dim(self, name):
        if name == "mask":
            return 0
        if name in SimpleRecurrent.apply.sequences + SimpleRecurrent.apply.states:
            return self.dim
        return super().get_dim(name)

    def _allocate(self):
        W = shared_floatx_nans((self.dim, self.dim), name="W")
        add_role(W, WEIGHT)
        self.parameters.append(W)
        initial_state = shared_floatx_zeros((self.dim,), name="initial_state")
        add_role(initial_state, INITIAL_STATE)
        self.parameters.append(initial_state)

    def _initialize(self):
        self._require_init("weights_init").initialize(self.W, self.rng)

    @recurrent(
        sequences=["inputs", "mask"], states=["states"], outputs=["states"], contexts=[]
    )
    def apply(self, inputs, states, mask=None):
        """Apply the simple transition.

        Parameters
        ----------
        inputs : :class:`~tensor.TensorVariable`
            The 2D inputs, in the shape (batch, features).
        states : :class:`~tensor.TensorVariable`
            The 2D states, in the shape (batch, features).
        mask : :class:`~tensor.TensorVariable`
            A 1D binary array in the shape (batch,) which is 1 if
            there is data available, 0 if not. Assumed to be 1-s
            only if not given.

        """
        next_states = inputs + tensor.dot(states, self.W)
        next_states = self.children[0].apply(next_states)
        if mask is not None:
            next_states = _keep_where_masked(mask, next_states, states)
        return next_states

    @application(outputs=apply.states)
    def initial_states(self, batch_size, *args, **kwargs):
        return _batch_of(self.parameters[1], batch_size)


class LSTM(BaseRecurrent, Initializable):
    """Long Short Term Memory.

    Every unit of an LSTM is equipped with input, forget and output gates.
    This implementation is based on code by Mohammad Pezeshki that
    implements the architecture used in [GSS03]_ and [Grav13]_. It aims to
    do as many computations in parallel as possible and expects the last
    dimension of the input to be four times the output dimension.

    Unlike a vanilla LSTM as described in [HS97]_, this model has peephole
    connections from the cells to the gates. The output gates receive
    information about the cells at the current time step, while the other
    gates only receive information about the cells at the previous time
    step. All 'peephole' weight matrices are diagonal.

    .. [GSS03] Gers, Felix A., Nicol N. Schraudolph, and Jürgen
       Schmidhuber, *Learning precise timing with LSTM recurrent
       networks*, Journal of Machine Learning Research 3 (2003),
       pp. 115-143.
    .. [Grav13] Graves, Alex, *Generating sequences with recurrent neural
       networks*, arXiv preprint arXiv:1308.0850 (2013).
    .. [HS97] Sepp Hochreiter, and Jürgen Schmidhuber, *Long Short-Term
       Memory*, Neural Computation 9(8) (1997), pp. 1735-1780.

    Parameters
    ----------
    dim : int
        The dimension of the hidden state.
    activation : :class:`~.bricks.Brick`, optional
        The activation function. The default and by far the most popular
        is :class:`.Tanh`.
    gate_activation : :class:`~.bricks.Brick` or None
        The brick to apply as activation for gates (input/output/forget).
        If ``None`` a :class:`.Logistic` brick is used.

    Notes
    -----
    See :class:`.Initializable` for initialization parameters.

    The parameters are ``W_state`` of shape ``(dim, 4 * dim)`` and the
    peepholes ``W_cell_to_in``, ``W_cell_to_forget`` and ``W_cell_to_out``
    of shape ``(dim,)`` (role :data:`~blocks.roles.WEIGHT`), then the
    initial state (attribute ``initial_state_``, named ``initial_state``)
    and ``initial_cells`` (role :data:`~blocks.roles.INITIAL_STATE`,
    zeros).

    """

    @lazy(allocation=["dim"])
    def __init__(self, dim, activation=None, gate_activation=None, **kwargs):
        self.dim = dim
        if activation is None:
            activation = Tanh()
        if gate_activation is None:
            gate_activation = Logistic()
        self.activation = activation
        self.gate_activation = gate_activation
        children = [activation, gate_activation, *kwargs.pop("children", [])]
        super().__init__(children=children, **kwargs)

    def get_dim(self, name):
        if name == "inputs":
            return self.dim * 4
        if name in ("states", "cells"):
            return self.dim
        if name == "mask":
            return 0
        return super().get_dim(name)

    def _allocate(self):
        self.W_state = shared_floatx_nans((self.dim, 4 * self.dim), name="W_state")
        self.W_cell_to_in = shared_floatx_nans((self.dim,), name="W_cell_to_in")
        self.W_cell_to_forget = shared_floatx_nans((self.dim,), name="W_cell_to_forget")
        self.W_cell_to_out = shared_floatx_nans((self.dim,), name="W_cell_to_out")
        # The underscore keeps the attribute apart from the `initial_states`
        # application.
        self.initial_state_ = shared_floatx_zeros((self.dim,), name="initial_state")
        self.initial_cells = shared_floatx_zeros((self.dim,), name="initial_cells")
        for weight in (
            self.W_state,
            self.W_cell_to_in,
            self.W_cell_to_forget,
            self.W_cell_to_out,
        ):
            add_role(weight, WEIGHT)
        add_role(self.initial_state_, INITIAL_STATE)
        add_role(self.initial_cells, INITIAL_STATE)
        self.parameters = [
            self.W_state,
            self.W_cell_to_in,
            self.W_cell_to_forget,
            self.W_cell_to_out,
            self.initial_state_,
            self.initial_cells,
        ]

    def _initialize(self):
        weights_init = self._require_init("weights_init")
        for weights in self.parameters[:4]:
            weights_init.initialize(weights, self.rng)

    @recurrent(
        sequences=["inputs", "mask"],
        states=["states", "cells"],
        contexts=[],
        outputs=["states", "cells"],
    )
    def apply(self, inputs, states, cells, mask=None):
        """Apply the Long Short Term Memory transition.

        Parameters
        ----------
        states : :class:`~tensor.TensorVariable`
            The 2 dimensional matrix of current states in the shape
            (batch_size, features). Required for `one_step` usage.
        cells : :class:`~tensor.TensorVariable`
            The 2 dimensional matrix of current cells in the shape
            (batch_size, features). Required for `one_step` usage.
        inputs : :class:`~tensor.TensorVariable`
            The 2 dimensional matrix of inputs in the shape (batch_size,
            features * 4). The `inputs` needs to be four times the
            dimension of the LSTM brick to insure each four gates receive
            different transformations of the input. See [Grav13]_
            equations 7 to 10 for more details. The `inputs` are then split
            in this order: Input gates, forget gates, cells and output
            gates.
        mask : :class:`~tensor.TensorVariable`
            A 1D binary array in the shape (batch,) which is 1 if there is
            data available, 0 if not. Assumed to be 1-s only if not given.

        Returns
        -------
        states : :class:`~tensor.TensorVariable`
            Next states of the network.
        cells : :class:`~tensor.TensorVariable`
            Next cell activations of the network.

        """

        def slice_last(x, no):
            return x[:, no * self.dim : (no + 1) * self.dim]

        activation = tensor.dot(states, self.W_state) + inputs
        in_gate = self.gate_activation.apply(
            slice_last(activation, 0) + cells * self.W_cell_to_in
        )
        forget_gate = self.gate_activation.apply(
            slice_last(activation, 1) + cells * self.W_cell_to_forget
        )
        next_cells = forget_gate * cells + in_gate * self.activation.apply(
            slice_last(activation, 2)
        )
        out_gate = self.gate_activation.apply(
            slice_last(activation, 3) + next_cells * self.W_cell_to_out
        )
        next_states = out_gate * self.activation.apply(next_cells)

        if mask is not None:
            next_states = _keep_where_masked(mask, next_states, states)
            next_cells = _keep_where_masked(mask, next_cells, cells)

        return next_states, next_cells

    @application(outputs=apply.states)
    def initial_states(self, batch_size, *args, **kwargs):
        return [
            _batch_of(self.initial_state_, batch_size),
            _batch_of(self.initial_cells, batch_size),
        ]


class GatedRecurrent(BaseRecurrent, Initializable):
    """Gated recurrent neural network.

    Gated recurrent neural network (GRNN) as introduced in [CvMG14]_. Every
    unit of a GRNN is equipped with update and reset gates that facilitate
    better gradient propagation.

    Parameters
    ----------
    dim : int
        The dimension of the hidden state.
    activation : :class:`~.bricks.Brick` or None
        The brick to apply as activation. If ``None`` a
        :class:`.Tanh` brick is used.
    gate_activation : :class:`~.bricks.Brick` or None
        The brick to apply as activation for gates. If ``None`` a
        :class:`.Logistic` brick is used.

    Notes
    -----
    See :class:`.Initializable` for initialization parameters.

    The parameters are ``state_to_state`` of shape ``(dim, dim)`` and
    ``state_to_gates`` of shape ``(dim, 2 * dim)`` (update, then reset;
    role :data:`~blocks.roles.WEIGHT`), then ``initial_state`` of shape
    ``(dim,)`` (role :data:`~blocks.roles.INITIAL_STATE`, zeros).

    .. [CvMG14] Kyunghyun Cho, Bart van Merriënboer, Çağlar Gülçehre,
       Dzmitry Bahdanau, Fethi Bougares, Holger Schwenk, and Yoshua
       Bengio, *Learning Phrase Representations using RNN Encoder-Decoder
       for Statistical Machine Translation*, EMNLP (2014), pp. 1724-1734.

    """

    @lazy(allocation=["dim"])
    def __init__(self, dim, activation=None, gate_activation=None, **kwargs):
        self.dim = dim
        if activation is None:
            activation = Tanh()
        if gate_activation is None:
            gate_activation = Logistic()
        self.activation = activation
        self.gate_activation = gate_activation
        children = [activation, gate_activation, *kwargs.pop("children", [])]
        super().__init__(children=children, **kwargs)

    @property
    def state_to_state(self):
        return self.parameters[0]

    @property
    def state_to_gates(self):
        return self.parameters[1]

    def get_dim(self, name):
        if name == "mask":
            return 0
        if name in ("inputs", "states"):
            return self.dim
        if name == "gate_inputs":
            return 2 * self.dim
        return super().get_dim(name)

    def _allocate(self):
        state_to_state = shared_floatx_nans((self.dim, self.dim), name="state_to_state")
        state_to_gates = shared_floatx_nans(
            (self.dim, 2 * self.dim), name="state_to_gates"
        )
        initial_state = shared_floatx_zeros((self.dim,), name="initial_state")
        add_role(state_to_state, WEIGHT)
        add_role(state_to_gates, WEIGHT)
        add_role(initial_state, INITIAL_STATE)
        self.parameters.extend([state_to_state, state_to_gates, initial_state])

    def _initialize(self):
        weights_init = self._require_init("weights_init")
        weights_init.initialize(self.state_to_state, self.rng)
        # The two gates' blocks are drawn separately, as square matrices, so
        # that schemes such as Orthogonal apply to each.
        state_to_update = weights_init.generate(self.rng, (self.dim, self.dim))
        state_to_reset = weights_init.generate(self.rng, (self.dim, self.dim))
        self.state_to_gates.set_value(numpy.hstack([state_to_update, state_to_reset]))

    @recurrent(
        sequences=["mask", "inputs", "gate_inputs"],
        states=["states"],
        outputs=["states"],
        contexts=[],
    )
    def apply(self, inputs, gate_inputs, states, mask=None):
        """Apply the gated recurrent transition.

        Parameters
        ----------
        states : :class:`~tensor.TensorVariable`
            The 2 dimensional matrix of current states in the shape
            (batch_size, dim). Required for `one_step` usage.
        inputs : :class:`~tensor.TensorVariable`
            The 2 dimensional matrix of inputs in the shape (batch_size,
            dim)
        gate_inputs : :class:`~tensor.TensorVariable`
            The 2 dimensional matrix of inputs to the gates in the
            shape (batch_size, 2 * dim).
        mask : :class:`~tensor.TensorVariable`
            A 1D binary array in the shape (batch,) which is 1 if there is
            data available, 0 if not. Assumed to be 1-s only if not given.

        Returns
        -------
        output : :class:`~tensor.TensorVariable`
            Next states of the network.

        """
        gate_values = self.gate_activation.apply(
            states.dot(self.state_to_gates) + gate_inputs
        )
        update_values = gate_values[:, : self.dim]
        reset_values = gate_values[:, self.dim :]
        states_reset = states * reset_values
        next_states = self.activation.apply(
            states_reset.dot(self.state_to_state) + inputs
        )
        next_states = next_states * update_values + states * (1 - update_values)
        if mask is not None:
            next_states = _keep_where_masked(mask, next_states, states)
        return next_states

    @application(outputs=apply.states)
    def initial_states(self, batch_size, *args, **kwargs):
        return [_batch_of(self.parameters[2], batch_size)]
