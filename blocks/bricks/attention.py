"""Attention mechanisms and recurrent transitions that use them.

Words used throughout this module:

- the *network* is the (usually recurrent) brick that uses the attention;
  its *states* are the variables it carries from step to step;
- the *attended* is the large structured input looked at, a sequence of
  vectors here, with an optional 0/1 *mask* marking its real elements;
- *glimpses* are what the attention extracts from the attended given the
  states, for instance the attention weights and the weighted average.

Computing glimpses is split in two stages: :meth:`~AbstractAttention.preprocess`
does the work that does not depend on the states (it can run once, before
a recurrent loop) and :meth:`~AbstractAttention.take_glimpses` does the rest.
:class:`AttentionRecurrent` plugs an attention into a recurrent transition.

"""

from abc import abstractmethod

from blocks.bricks.base import Brick, application, lazy
from blocks.bricks.interfaces import Feedforward, Initializable
from blocks.bricks.parallel import Distribute, Parallel
from blocks.bricks.recurrent import BaseRecurrent, recurrent
from blocks.bricks.sequences import Sequence
from blocks.bricks.simple import Linear, Tanh
from blocks.utils import dict_subset, dict_union, pack
from symbolic import tensor

__all__ = [
    "AbstractAttention",
    "AbstractAttentionRecurrent",
    "AttentionRecurrent",
    "GenericSequenceAttention",
    "SequenceContentAttention",
    "ShallowEnergyComputer",
]


class AbstractAttention(Brick):
    """The interface every attention mechanism offers.

    An attention turns the network's states and the attended into glimpses.
    :meth:`preprocess` holds the state-independent part (identity by
    default); :meth:`take_glimpses` the rest. When a mechanism needs some
    of its previous glimpses (say, the previous focus position), it lists
    them among the inputs of ``take_glimpses`` as well as its outputs, and
    :meth:`initial_glimpses` gives their first values.

    Parameters
    ----------
    state_names : list of str
        The names of the network's states the attention reads.
    state_dims : list of int
        Their dimensions, in the same order. Required by ``allocate``.
    attended_dim : int
        The dimension of the attended's elements. Required by ``allocate``.

    Notes
    -----
    Only one attended is supported, and neither ``preprocess`` nor
    ``initial_glimpses`` receives its mask.

    """

    @lazy(allocation=["state_names", "state_dims", "attended_dim"])
    def __init__(self, state_names, state_dims, attended_dim, **kwargs):
        self.state_names = state_names
        self.state_dims = state_dims
        self.attended_dim = attended_dim
        super().__init__(**kwargs)

    @application(inputs=["attended"], outputs=["preprocessed_attended"])
    def preprocess(self, attended):
        """Stage 1: the part of the work that does not need the states.

        Parameters
        ----------
        attended : :class:`~tensor.TensorVariable`
            The attended.

        Returns
        -------
        :class:`~tensor.TensorVariable`
            The preprocessed attended; here the attended itself.

        """
        return attended

    @abstractmethod
    def take_glimpses(
        self, attended, preprocessed_attended=None, attended_mask=None, **kwargs
    ):
        r"""Stage 2: the glimpses for the current states.

        Implementations must be applications that declare their inputs and
        outputs: the attended comes first, the preprocessed attended
        second, and a glimpse that is both an input and an output is
        carried over from the previous step.

        Parameters
        ----------
        attended : :class:`~tensor.TensorVariable`
            The attended.
        preprocessed_attended : :class:`~tensor.TensorVariable`, optional
            The result of :meth:`preprocess`; computed here when missing.
        attended_mask : :class:`~tensor.TensorVariable`, optional
            1 where the attended holds data, 0 on padding.
        \*\*kwargs
            The states, and the previous glimpses that are carried over.

        """

    @abstractmethod
    def initial_glimpses(self, batch_size, attended):
        """The values of the carried-over glimpses before the first step.

        Parameters
        ----------
        batch_size : int or scalar variable
            The batch size.
        attended : :class:`~tensor.TensorVariable`
            The attended.

        Returns
        -------
        list of :class:`~tensor.TensorVariable`

        """

    def get_dim(self, name):
        if name in ("attended", "preprocessed_attended"):
            return self.attended_dim
        if name == "attended_mask":
            return 0
        return super().get_dim(name)


class GenericSequenceAttention(AbstractAttention):
    """What attention over a sequence (time on axis 0) needs in any case."""

    @application
    def compute_weights(self, energies, attended_mask):
        """Normalize energies into weights with a softmax over time.

        Parameters
        ----------
        energies : :class:`~tensor.TensorVariable`
            (time, batch) energies.
        attended_mask : :class:`~tensor.TensorVariable` or None
            (time, batch) 0/1 mask of the attended; masked elements get
            weight 0. A column that is all zeros gets all-zero weights
            (not NaN).

        Returns
        -------
        :class:`~tensor.TensorVariable`
            Non-negative weights of the shape of `energies` that sum to 1
            over time (0 for a fully masked column).

        """
        if attended_mask is None:
            # Subtracting the maximum keeps exp from overflowing.
            unnormalized = tensor.exp(energies - energies.max(axis=0))
            return unnormalized / unnormalized.sum(axis=0)
        # The maximum is taken over the real elements only, so a large
        # energy on padding cannot push every real weight to zero; a fully
        # masked column falls back to its own minimum, which is finite.
        real = attended_mask > 0
        shift = tensor.switch(real, energies, energies.min(axis=0)).max(axis=0)
        unnormalized = tensor.exp(energies - shift) * attended_mask
        # A column with no real element would divide 0 by 0; divide by 1.
        normalization = unnormalized.sum(axis=0) + tensor.all(
            tensor.eq(attended_mask, 0), axis=0
        )
        return unnormalized / normalization

    @application
    def compute_weighted_averages(self, weights, attended):
        """The weighted sums over time of the attended's vectors.

        Parameters
        ----------
        weights : :class:`~tensor.TensorVariable`
            The weights, of the attended's shape without its last axis.
        attended : :class:`~tensor.TensorVariable`
            The attended, time on axis 0.

        Returns
        -------
        :class:`~tensor.TensorVariable`
            The attended's shape without its first axis.

        """
        return (tensor.shape_padright(weights) * attended).sum(axis=0)


class SequenceContentAttention(GenericSequenceAttention, Initializable):
    """Content-based attention over a sequence, as in [BCB]_.

    The states and the attended's elements are each mapped to match
    space; every transformed element is added to the transformed states,
    the energy computer turns each sum into one energy, and the energies
    are normalized over time (:meth:`compute_weights`). The glimpses are
    the weighted average of the attended's elements and the weights.

    Parameters
    ----------
    match_dim : int
        The dimension of match space. Required by ``allocate``.
    state_transformer : :class:`~blocks.bricks.Brick`, optional
        The prototype copied for each state; ``Linear(use_bias=False)``
        by default.
    attended_transformer : :class:`~blocks.bricks.Feedforward`, optional
        Maps the attended to match space (this is :meth:`preprocess`);
        an affine ``Linear`` by default.
    energy_computer : :class:`~blocks.bricks.Feedforward`, optional
        Maps a match vector to an energy; a
        :class:`ShallowEnergyComputer` by default.
    state_names, state_dims, attended_dim
        See :class:`AbstractAttention`.

    Notes
    -----
    Initialized as any :class:`~blocks.bricks.Initializable` brick.

    .. [BCB] Dzmitry Bahdanau, Kyunghyun Cho and Yoshua Bengio, *Neural
       Machine Translation by Jointly Learning to Align and Translate*,
       ICLR 2015.

    """

    @lazy(allocation=["match_dim"])
    def __init__(
        self,
        match_dim,
        state_transformer=None,
        attended_transformer=None,
        energy_computer=None,
        **kwargs,
    ):
        if state_transformer is None:
            state_transformer = Linear(use_bias=False)
        if attended_transformer is None:
            attended_transformer = Linear(name="preprocess")
        if energy_computer is None:
            energy_computer = ShallowEnergyComputer(name="energy_comp")
        self.match_dim = match_dim
        self.state_transformer = state_transformer
        self.state_transformers = Parallel(
            input_names=kwargs["state_names"],
            prototype=state_transformer,
            name="state_trans",
        )
        self.attended_transformer = attended_transformer
        self.energy_computer = energy_computer
        kwargs.setdefault("children", []).extend(
            [self.state_transformers, attended_transformer, energy_computer]
        )
        super().__init__(**kwargs)

    def _push_allocation_config(self):
        self.state_transformers.input_dims = self.state_dims
        self.state_transformers.output_dims = [self.match_dim for _ in self.state_names]
        self.attended_transformer.input_dim = self.attended_dim
        self.attended_transformer.output_dim = self.match_dim
        self.energy_computer.input_dim = self.match_dim
        self.energy_computer.output_dim = 1

    @application
    def compute_energies(self, attended, preprocessed_attended, states):
        """(time, batch) energies of the attended's elements for `states`."""
        if preprocessed_attended is None:
            preprocessed_attended = self.preprocess(attended)
        transformed = self.state_transformers.apply(as_list=True, **states)
        # Each transformed state, (batch, match), broadcasts over time.
        match_vectors = preprocessed_attended
        for state in transformed:
            match_vectors = match_vectors + state
        energies = self.energy_computer.apply(match_vectors)
        return energies.reshape(match_vectors.shape[:-1], ndim=match_vectors.ndim - 1)

    @application(outputs=["weighted_averages", "weights"])
    def take_glimpses(
        self, attended, preprocessed_attended=None, attended_mask=None, **states
    ):
        r"""The weighted average of the attended and the attention weights.

        Parameters
        ----------
        attended : :class:`~tensor.TensorVariable`
            (time, batch, attended_dim).
        preprocessed_attended : :class:`~tensor.TensorVariable`, optional
            The result of :meth:`preprocess`; computed when None.
        attended_mask : :class:`~tensor.TensorVariable`, optional
            (time, batch) 0/1 mask, 0 on padding.
        \*\*states
            The network's states, by name.

        Returns
        -------
        weighted_averages : :class:`~tensor.TensorVariable`
            (batch, attended_dim).
        weights : :class:`~tensor.TensorVariable`
            (batch, time): batch first, unlike the attended.

        """
        energies = self.compute_energies(attended, preprocessed_attended, states)
        weights = self.compute_weights(energies, attended_mask)
        weighted_averages = self.compute_weighted_averages(weights, attended)
        return weighted_averages, weights.T

    @take_glimpses.property("inputs")
    def take_glimpses_inputs(self):
        return ["attended", "preprocessed_attended", "attended_mask", *self.state_names]

    @application(outputs=["weighted_averages", "weights"])
    def initial_glimpses(self, batch_size, attended):
        """Zeros: neither glimpse is needed by the next step."""
        return [
            tensor.zeros((batch_size, self.attended_dim)),
            tensor.zeros((batch_size, attended.shape[0])),
        ]

    @application(inputs=["attended"], outputs=["preprocessed_attended"])
    def preprocess(self, attended):
        """The attended mapped to match space by the attended transformer.

        Parameters
        ----------
        attended : :class:`~tensor.TensorVariable`
            (time, batch, attended_dim).

        """
        return self.attended_transformer.apply(attended)

    def get_dim(self, name):
        if name == "weighted_averages":
            return self.attended_dim
        if name == "weights":
            return 0
        return super().get_dim(name)


class ShallowEnergyComputer(Sequence, Initializable, Feedforward):
    """An energy computer: tanh, then a linear map to one number.

    Parameters
    ----------
    use_bias : bool, optional
        Whether the linear map adds a bias; False by default. A bias
        changes nothing after a softmax, but matters for other
        normalizations.

    """

    @lazy()
    def __init__(self, use_bias=False, **kwargs):
        super().__init__(
            [Tanh().apply, Linear(use_bias=use_bias).apply], use_bias=use_bias, **kwargs
        )

    @property
    def input_dim(self):
        return self.children[1].input_dim

    @input_dim.setter
    def input_dim(self, value):
        self.children[1].input_dim = value

    @property
    def output_dim(self):
        return self.children[1].output_dim

    @output_dim.setter
    def output_dim(self, value):
        self.children[1].output_dim = value


class AbstractAttentionRecurrent(BaseRecurrent):
    """The interface of recurrent transitions equipped with an attention.

    Such a transition takes its step in two parts: the attention takes
    glimpses from the current states (:meth:`take_glimpses`), then the
    next states are computed from the states and the glimpses
    (:meth:`compute_states`). :meth:`apply` does both; the sequence
    generator needs the parts separately.

    """

    @abstractmethod
    def apply(self, **kwargs):
        """The next states, glimpses taken on the way."""

    @abstractmethod
    def compute_states(self, **kwargs):
        """The next states from the current states and glimpses."""

    @abstractmethod
    def take_glimpses(self, **kwargs):
        """The glimpses for the current states."""


class AttentionRecurrent(AbstractAttentionRecurrent, Initializable):
    """A recurrent transition with an attention mechanism.

    Every step first takes glimpses with the attention, then runs the
    wrapped transition on its inputs with the glimpses distributed over
    them (by `distribute`). The glimpses become states of this brick (so
    that mechanisms needing the previous glimpses get them); the attended
    and its mask become contexts (new ones, or two of the transition's,
    see `add_contexts`).

    Parameters
    ----------
    transition : :class:`~blocks.bricks.recurrent.BaseRecurrent`
        The wrapped transition.
    attention : :class:`AbstractAttention`
        The attention mechanism.
    distribute : :class:`~blocks.bricks.Brick`, optional
        Adds the first glimpse to the transition's sequential inputs; by
        default a :class:`~blocks.bricks.parallel.Distribute` onto every
        input whose name does not contain ``mask``.
    add_contexts : bool, optional
        If True (the default), the attended and its mask are two new
        contexts; otherwise the transition's first two contexts are used.
    attended_name : str, optional
        The attended's context name; ``attended`` (or the transition's
        first context) by default.
    attended_mask_name : str, optional
        The mask's context name; ``attended_mask`` (or the transition's
        second context) by default.

    Notes
    -----
    Initialized as any :class:`~blocks.bricks.Initializable` brick. Every
    state of the wrapped transition must be given or have an initial
    value; sequences and contexts stay as optional as they were.

    """

    def __init__(
        self,
        transition,
        attention,
        distribute=None,
        add_contexts=True,
        attended_name=None,
        attended_mask_name=None,
        **kwargs,
    ):
        self._sequence_names = list(transition.apply.sequences)
        self._state_names = list(transition.apply.states)
        self._context_names = list(transition.apply.contexts)
        if add_contexts:
            attended_name = attended_name or "attended"
            attended_mask_name = attended_mask_name or "attended_mask"
            self._context_names += [attended_name, attended_mask_name]
        else:
            if len(self._context_names) < 2 and not (
                attended_name and attended_mask_name
            ):
                raise ValueError(
                    f"AttentionRecurrent with add_contexts=False uses two contexts "
                    f"of the transition {transition.name!r} for the attended and "
                    f"its mask, but it has {self._context_names}"
                )
            attended_name = attended_name or self._context_names[0]
            attended_mask_name = attended_mask_name or self._context_names[1]
        if distribute is None:
            distribute = Distribute(
                [name for name in self._sequence_names if "mask" not in name],
                attention.take_glimpses.outputs[0],
            )
        self.transition = transition
        self.attention = attention
        self.distribute = distribute
        self.add_contexts = add_contexts
        self.attended_name = attended_name
        self.attended_mask_name = attended_mask_name
        self.preprocessed_attended_name = "preprocessed_" + attended_name
        self._glimpse_names = list(attention.take_glimpses.outputs)
        # Glimpses the attention reads back are those it declares as inputs.
        self.previous_glimpses_needed = [
            name
            for name in self._glimpse_names
            if name in attention.take_glimpses.inputs
        ]
        kwargs.setdefault("children", []).extend([transition, attention, distribute])
        super().__init__(**kwargs)

    def _push_allocation_config(self):
        self.attention.state_dims = self.transition.get_dims(self.attention.state_names)
        self.attention.attended_dim = self.get_dim(self.attended_name)
        self.distribute.source_dim = self.attention.get_dim(self.distribute.source_name)
        self.distribute.target_dims = self.transition.get_dims(
            self.distribute.target_names
        )

    @application
    def take_glimpses(self, **kwargs):
        r"""The attention's glimpses for the current states.

        Parameters
        ----------
        \*\*kwargs
            The attended, the states and the previous glimpses; optionally
            the mask and the preprocessed attended. Other names are
            ignored.

        Returns
        -------
        list of :class:`~tensor.TensorVariable`
            The glimpses.

        """
        states = dict_subset(kwargs, self._state_names, pop=True)
        glimpses = dict_subset(kwargs, self._glimpse_names, pop=True, must_have=False)
        needed = dict_subset(glimpses, self.previous_glimpses_needed)
        return self.attention.take_glimpses(
            kwargs.pop(self.attended_name),
            kwargs.pop(self.preprocessed_attended_name, None),
            kwargs.pop(self.attended_mask_name, None),
            **dict_union(states, needed),
        )

    @take_glimpses.property("outputs")
    def take_glimpses_outputs(self):
        return self._glimpse_names

    @application
    def compute_states(self, **kwargs):
        r"""The transition's next states given the current glimpses.

        The glimpses are distributed over the transition's sequential
        inputs, then the transition takes one step. Names the transition
        takes (contexts, mask) are passed on to it.

        Parameters
        ----------
        \*\*kwargs
            The transition's inputs and states plus the current glimpses.

        Returns
        -------
        list of :class:`~tensor.TensorVariable`
            The next states.

        """
        sequences = dict_subset(kwargs, self._sequence_names, pop=True, must_have=False)
        states = dict_subset(kwargs, self._state_names, pop=True)
        glimpses = dict_subset(kwargs, self._glimpse_names, pop=True)
        for name in (
            self.attended_name,
            self.attended_mask_name,
            self.preprocessed_attended_name,
        ):
            if self.add_contexts or name == self.preprocessed_attended_name:
                kwargs.pop(name, None)
        sequences.update(
            self.distribute.apply(
                as_dict=True,
                **dict_subset(
                    dict_union(sequences, glimpses), self.distribute.apply.inputs
                ),
            )
        )
        return self.transition.apply(
            iterate=False, as_list=True, **dict_union(sequences, states, kwargs)
        )

    @compute_states.property("outputs")
    def compute_states_outputs(self):
        return self._state_names

    @recurrent
    def do_apply(self, **kwargs):
        r"""One step: take glimpses, then compute the next states.

        Parameters
        ----------
        \*\*kwargs
            The current inputs, the previous states and glimpses, the
            contexts and the preprocessed attended.

        Returns
        -------
        list of :class:`~tensor.TensorVariable`
            The next states, then the glimpses.

        """
        attended = kwargs[self.attended_name]
        preprocessed = kwargs.pop(self.preprocessed_attended_name)
        attended_mask = kwargs.get(self.attended_mask_name)
        sequences = dict_subset(kwargs, self._sequence_names, pop=True, must_have=False)
        states = dict_subset(kwargs, self._state_names, pop=True)
        glimpses = dict_subset(kwargs, self._glimpse_names, pop=True)
        current_glimpses = self.take_glimpses(
            as_dict=True,
            **dict_union(
                states,
                glimpses,
                {
                    self.attended_name: attended,
                    self.attended_mask_name: attended_mask,
                    self.preprocessed_attended_name: preprocessed,
                },
            ),
        )
        current_states = self.compute_states(
            as_list=True, **dict_union(sequences, states, current_glimpses, kwargs)
        )
        return current_states + list(current_glimpses.values())

    @do_apply.property("sequences")
    def do_apply_sequences(self):
        return self._sequence_names

    @do_apply.property("contexts")
    def do_apply_contexts(self):
        return [*self._context_names, self.preprocessed_attended_name]

    @do_apply.property("states")
    def do_apply_states(self):
        return self._state_names + self._glimpse_names

    @do_apply.property("outputs")
    def do_apply_outputs(self):
        return self._state_names + self._glimpse_names

    @application
    def apply(self, **kwargs):
        r"""Preprocess the attended once, then run :meth:`do_apply`.

        Takes the arguments of :meth:`do_apply` except the preprocessed
        attended, and the keywords of any recurrent application
        (``iterate``, ``return_initial_states``...).

        """
        preprocessed = self.attention.preprocess(kwargs[self.attended_name])
        return self.do_apply(
            **dict_union(kwargs, {self.preprocessed_attended_name: preprocessed})
        )

    @apply.delegate
    def apply_delegate(self):
        return self.do_apply

    @apply.property("contexts")
    def apply_contexts(self):
        return self._context_names

    @application
    def initial_states(self, batch_size, **kwargs):
        """The transition's initial states, then the initial glimpses."""
        return pack(self.transition.initial_states(batch_size, **kwargs)) + pack(
            self.attention.initial_glimpses(batch_size, kwargs[self.attended_name])
        )

    @initial_states.property("outputs")
    def initial_states_outputs(self):
        return self.do_apply.states

    def get_dim(self, name):
        if name in self._glimpse_names:
            return self.attention.get_dim(name)
        if name == self.preprocessed_attended_name:
            (original_name,) = self.attention.preprocess.outputs
            return self.attention.get_dim(original_name)
        if self.add_contexts:
            if name == self.attended_name:
                return self.attention.get_dim(self.attention.take_glimpses.inputs[0])
            if name == self.attended_mask_name:
                return 0
        return self.transition.get_dim(name)
