"""Recurrent architectures: the simple transition, the LSTM and the GRU."""

import numpy

from blocks.bricks.base import application, lazy
from blocks.bricks.interfaces import Initializable
from blocks.bricks.recurrent.base import BaseRecurrent, recurrent
from blocks.bricks.simple import Logistic, Tanh
from blocks.roles import INITIAL_STATE, WEIGHT, add_role
from blocks.utils.theano_utils import shared_floatx_nans, shared_floatx_zeros
from symbolic import tensor
from symbolic.gradient import grad_clip

__all__ = ["LSTM", "GatedRecurrent", "SimpleRecurrent"]


def _keep_where_masked(mask, new, old):
    """`new` where `mask` (one value per example) is 1, `old` where it is 0."""
    return mask[:, None] * new + (1 - mask[:, None]) * old


def _batch_of(initial_state, batch_size):
    """Repeat a learned initial state vector `batch_size` times on axis 0."""
    return tensor.repeat(initial_state[None, :], batch_size, 0)


class _RecurrentOptions:
    """The options shared by the recurrent architectures.

    Parameters
    ----------
    gradient_clipping : float, optional
        Clip the gradient flowing back through each step's pre-activations
        (and an LSTM's cells) to ``[-gradient_clipping,
        gradient_clipping]``, as Lasagne's ``grad_clipping`` does. The
        forward values are unchanged. None (no clipping) by default.
    truncate_gradient : int, optional
        Back-propagate through at most this many steps; -1 (all) by
        default. Handed to :func:`symbolic.scan`.
    learn_initial_states : bool, optional
        True (the default) makes the initial states parameters with the
        role :data:`~blocks.roles.INITIAL_STATE`, learned with the rest;
        False starts from zeros that are not parameters. Either way a call
        can start from given states, passed by name (``states=h0``).
    only_return_final : bool, optional
        Make iterated calls return only the last step's outputs; False by
        default. A call can also pass ``only_return_final``.

    """

    def _set_options(
        self,
        gradient_clipping=None,
        truncate_gradient=-1,
        learn_initial_states=True,
        only_return_final=False,
    ):
        if gradient_clipping is not None and gradient_clipping <= 0:
            raise ValueError(
                f"gradient_clipping must be positive or None, got {gradient_clipping!r}"
            )
        self.gradient_clipping = gradient_clipping
        self.truncate_gradient = truncate_gradient
        self.learn_initial_states = learn_initial_states
        self.only_return_final = only_return_final

    def _clip(self, variable):
        """`variable`, with its gradient clipped when gradient_clipping is set."""
        if self.gradient_clipping is None:
            return variable
        bound = self.gradient_clipping
        return grad_clip(variable, -bound, bound)

    def _initial_state(self, parameter, batch_size):
        if self.learn_initial_states:
            return _batch_of(parameter, batch_size)
        return tensor.zeros((batch_size, self.dim))

    def _add_initial_state(self, name):
        """An initial-state parameter, or None when they are not learned."""
        if not self.learn_initial_states:
            return None
        state = shared_floatx_zeros((self.dim,), name=name)
        add_role(state, INITIAL_STATE)
        return state


_OPTION_NAMES = (
    "gradient_clipping",
    "truncate_gradient",
    "learn_initial_states",
    "only_return_final",
)


def _pop_options(kwargs):
    return {name: kwargs.pop(name) for name in _OPTION_NAMES if name in kwargs}


class SimpleRecurrent(_RecurrentOptions, BaseRecurrent, Initializable):
    """``h_t = activation(x_t + h_{t-1} W)``: the plain recurrent step.

    The input ``x_t`` already has the state's dimension (project it with a
    :class:`~blocks.bricks.Linear` brick first if it does not), so the brick
    owns only the recurrent weights.

    Parameters
    ----------
    dim : int
        Size of the state.
    activation : :class:`~.bricks.Brick`
        Applied to the sum; :class:`~blocks.bricks.Identity` makes the
        transition linear.
    gradient_clipping, truncate_gradient, learn_initial_states, only_return_final
        Options of all recurrent architectures: clip the gradient through
        the recurrence, truncate back-propagation, learn the initial state
        or start from zeros, return only the last step. See the notes of
        :class:`LSTM`.

    Notes
    -----
    Initialized as any :class:`.Initializable` brick.  Parameters: ``W``,
    ``(dim, dim)``, role :data:`~blocks.roles.WEIGHT`; ``initial_state``,
    ``(dim,)``, role :data:`~blocks.roles.INITIAL_STATE`, zero until trained
    (absent with ``learn_initial_states=False``).

    """

    @lazy(allocation=["dim"])
    def __init__(self, dim, activation, **kwargs):
        options = _pop_options(kwargs)
        super().__init__(**kwargs)
        self._set_options(**options)
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
        initial_state = self._add_initial_state("initial_state")
        if initial_state is not None:
            self.parameters.append(initial_state)

    def _initialize(self):
        self._require_init("weights_init").initialize(self.W, self.rng)

    @recurrent(
        sequences=["inputs", "mask"], states=["states"], outputs=["states"], contexts=[]
    )
    def apply(self, inputs, states, mask=None):
        """One step of the transition.

        Parameters
        ----------
        inputs : :class:`~tensor.TensorVariable`
            This step's inputs, (batch, dim).
        states : :class:`~tensor.TensorVariable`
            The previous states, (batch, dim).
        mask : :class:`~tensor.TensorVariable`, optional
            (batch,) ones and zeros: where it is 0 the state is carried over
            unchanged (a sequence that already ended).  All ones if absent.

        """
        next_states = self._clip(inputs + tensor.dot(states, self.W))
        next_states = self.children[0].apply(next_states)
        if mask is not None:
            next_states = _keep_where_masked(mask, next_states, states)
        return next_states

    @application(outputs=apply.states)
    def initial_states(self, batch_size, *args, **kwargs):
        parameter = self.parameters[1] if self.learn_initial_states else None
        return self._initial_state(parameter, batch_size)


class LSTM(_RecurrentOptions, BaseRecurrent, Initializable):
    """A long short-term memory layer with peephole connections.

    Each unit has an input, a forget and an output gate.  The input of a
    step holds the pre-activations of all four parts side by side, so it
    is ``4 * dim`` wide: input gate, forget gate, cell candidate, output
    gate, in that order (the layout of [Grav13]_, equations 7-10).  The
    gates also see the cells through diagonal peephole weights [GSS03]_:
    the input and forget gates the previous cells, the output gate the new
    ones.  Without peepholes this is the LSTM of [HS97]_.

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
        Size of the state and of the cells.
    activation : :class:`~.bricks.Brick`, optional
        Applied to the cell candidate and to the cells on output;
        :class:`.Tanh` when None.
    gate_activation : :class:`~.bricks.Brick`, optional
        Applied to the three gates; :class:`.Logistic` when None.
    peepholes : bool, optional
        Whether the gates see the cells; True by default.
    gradient_clipping : float, optional
        Clip the gradient flowing back through each step's pre-activations
        and cells to ``[-gradient_clipping, gradient_clipping]`` (the
        forward values are unchanged); no clipping when None, the default.
    truncate_gradient : int, optional
        Back-propagate through at most this many steps; -1 (all steps) by
        default.
    learn_initial_states : bool, optional
        True (the default): the initial states and cells are parameters,
        learned with the others. False: they start from zeros and are not
        parameters. Either way a call can be given its own
        (``states=h0, cells=c0``).
    only_return_final : bool, optional
        Iterated calls return only the last step's states and cells,
        ``(batch, dim)``; False by default. A call can also pass
        ``only_return_final=True``.

    Notes
    -----
    Initialized as any :class:`.Initializable` brick.  Parameters:
    ``W_state``, ``(dim, 4 * dim)``, and the peepholes ``W_cell_to_in``,
    ``W_cell_to_forget`` and ``W_cell_to_out``, ``(dim,)`` (without
    ``peepholes``, absent), all with role
    :data:`~blocks.roles.WEIGHT`; then the initial state (attribute
    ``initial_state_``, named ``initial_state``) and ``initial_cells``,
    role :data:`~blocks.roles.INITIAL_STATE`, zero until trained (absent
    with ``learn_initial_states=False``).

    Called with ``iterate=False`` the brick is an LSTM *cell*: one step
    from given states and cells, ``(batch, dim)`` each, as inside the scan.

    """

    @lazy(allocation=["dim"])
    def __init__(
        self, dim, activation=None, gate_activation=None, peepholes=True, **kwargs
    ):
        self.dim = dim
        self.peepholes = peepholes
        self._set_options(**_pop_options(kwargs))
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
        weights = [self.W_state]
        if self.peepholes:
            self.W_cell_to_in = shared_floatx_nans((self.dim,), name="W_cell_to_in")
            self.W_cell_to_forget = shared_floatx_nans(
                (self.dim,), name="W_cell_to_forget"
            )
            self.W_cell_to_out = shared_floatx_nans((self.dim,), name="W_cell_to_out")
            weights += [self.W_cell_to_in, self.W_cell_to_forget, self.W_cell_to_out]
        for weight in weights:
            add_role(weight, WEIGHT)
        # The underscore keeps the attribute apart from the `initial_states`
        # application.
        self.initial_state_ = self._add_initial_state("initial_state")
        self.initial_cells = self._add_initial_state("initial_cells")
        initial = [self.initial_state_, self.initial_cells]
        self.parameters = weights + [i for i in initial if i is not None]
        self._weights = weights

    def _initialize(self):
        weights_init = self._require_init("weights_init")
        for weights in self._weights:
            weights_init.initialize(weights, self.rng)

    @recurrent(
        sequences=["inputs", "mask"],
        states=["states", "cells"],
        contexts=[],
        outputs=["states", "cells"],
    )
    def apply(self, inputs, states, cells, mask=None):
        """One LSTM step.

        Parameters
        ----------
        inputs : :class:`~tensor.TensorVariable`
            This step's pre-activations, (batch, 4 * dim): input gate,
            forget gate, cell candidate and output gate blocks.
        states : :class:`~tensor.TensorVariable`
            The previous states, (batch, dim).
        cells : :class:`~tensor.TensorVariable`
            The previous cells, (batch, dim).
        mask : :class:`~tensor.TensorVariable`, optional
            (batch,) ones and zeros: where it is 0 states and cells are
            carried over unchanged.  All ones if absent.

        Returns
        -------
        states, cells : :class:`~tensor.TensorVariable`
            The next states and cells.

        """

        def slice_last(x, no):
            return x[:, no * self.dim : (no + 1) * self.dim]

        def peep(weight_name, cell_values):
            if not self.peepholes:
                return 0
            return cell_values * getattr(self, weight_name)

        activation = self._clip(tensor.dot(states, self.W_state) + inputs)
        in_gate = self.gate_activation.apply(
            slice_last(activation, 0) + peep("W_cell_to_in", cells)
        )
        forget_gate = self.gate_activation.apply(
            slice_last(activation, 1) + peep("W_cell_to_forget", cells)
        )
        next_cells = forget_gate * cells + in_gate * self.activation.apply(
            slice_last(activation, 2)
        )
        next_cells = self._clip(next_cells)
        out_gate = self.gate_activation.apply(
            slice_last(activation, 3) + peep("W_cell_to_out", next_cells)
        )
        next_states = out_gate * self.activation.apply(next_cells)

        if mask is not None:
            next_states = _keep_where_masked(mask, next_states, states)
            next_cells = _keep_where_masked(mask, next_cells, cells)

        return next_states, next_cells

    @application(outputs=apply.states)
    def initial_states(self, batch_size, *args, **kwargs):
        return [
            self._initial_state(self.initial_state_, batch_size),
            self._initial_state(self.initial_cells, batch_size),
        ]


class GatedRecurrent(_RecurrentOptions, BaseRecurrent, Initializable):
    """A gated recurrent unit (GRU) layer, as in [CvMG14]_.

    An update gate mixes the previous state with a candidate computed from
    the state scaled by a reset gate.  Gate pre-activations come in as their
    own ``2 * dim`` wide input (update, then reset).

    Parameters
    ----------
    dim : int
        Size of the state.
    activation : :class:`~.bricks.Brick`, optional
        Applied to the candidate state; :class:`.Tanh` when None.
    gate_activation : :class:`~.bricks.Brick`, optional
        Applied to the gates; :class:`.Logistic` when None.
    gradient_clipping, truncate_gradient, learn_initial_states, only_return_final
        As for :class:`LSTM`.

    Notes
    -----
    Initialized as any :class:`.Initializable` brick.  Parameters:
    ``state_to_state``, ``(dim, dim)``, and ``state_to_gates``,
    ``(dim, 2 * dim)`` (update, then reset), role
    :data:`~blocks.roles.WEIGHT`; then ``initial_state``, ``(dim,)``, role
    :data:`~blocks.roles.INITIAL_STATE`, zero until trained (absent with
    ``learn_initial_states=False``).

    Called with ``iterate=False`` the brick is a GRU *cell*: one step from
    given states, ``(batch, dim)``, as inside the scan.

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
        self._set_options(**_pop_options(kwargs))
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
        add_role(state_to_state, WEIGHT)
        add_role(state_to_gates, WEIGHT)
        self.parameters.extend([state_to_state, state_to_gates])
        initial_state = self._add_initial_state("initial_state")
        if initial_state is not None:
            self.parameters.append(initial_state)

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
        """One GRU step.

        Parameters
        ----------
        inputs : :class:`~tensor.TensorVariable`
            This step's input to the candidate state, (batch, dim).
        gate_inputs : :class:`~tensor.TensorVariable`
            This step's gate pre-activations, (batch, 2 * dim): update,
            then reset.
        states : :class:`~tensor.TensorVariable`
            The previous states, (batch, dim).
        mask : :class:`~tensor.TensorVariable`, optional
            (batch,) ones and zeros: where it is 0 the state is carried over
            unchanged.  All ones if absent.

        Returns
        -------
        :class:`~tensor.TensorVariable`
            The next states.

        """
        gate_values = self.gate_activation.apply(
            self._clip(states.dot(self.state_to_gates) + gate_inputs)
        )
        update_values = gate_values[:, : self.dim]
        reset_values = gate_values[:, self.dim :]
        states_reset = states * reset_values
        next_states = self.activation.apply(
            self._clip(states_reset.dot(self.state_to_state) + inputs)
        )
        next_states = next_states * update_values + states * (1 - update_values)
        if mask is not None:
            next_states = _keep_where_masked(mask, next_states, states)
        return next_states

    @application(outputs=apply.states)
    def initial_states(self, batch_size, *args, **kwargs):
        parameter = self.parameters[2] if self.learn_initial_states else None
        return [self._initial_state(parameter, batch_size)]
