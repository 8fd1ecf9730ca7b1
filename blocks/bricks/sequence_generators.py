"""Bricks that generate sequences, one element after another.

Language models, translation and handwriting synthesis share a pattern:
a recurrent network produces the sequence element by element and every
element is fed back into it; often an attention mechanism conditions the
generation on another structured input. A :class:`SequenceGenerator` is
built from three parts:

- a recurrent transition (GatedRecurrent, LSTM...),
- a readout, which turns the network's states (and glimpses) into the
  next element and its cost, and feeds elements back,
- optionally an attention mechanism (see :mod:`blocks.bricks.attention`).

:class:`BaseSequenceGenerator` does the work and requires an
attention-equipped transition; :class:`SequenceGenerator` wraps a plain
transition in :class:`FakeAttentionRecurrent` when there is no attention.

"""

from abc import abstractmethod

from blocks.bricks.attention import AbstractAttentionRecurrent, AttentionRecurrent
from blocks.bricks.base import Brick, application, lazy
from blocks.bricks.interfaces import Initializable, Random
from blocks.bricks.lookup import LookupTable
from blocks.bricks.parallel import Fork, Merge
from blocks.bricks.recurrent import recurrent
from blocks.bricks.simple import Bias, NDimensionalSoftmax
from blocks.roles import COST, add_role
from blocks.utils import dict_subset, dict_union
from symbolic import tensor

__all__ = [
    "AbstractEmitter",
    "AbstractFeedback",
    "AbstractReadout",
    "BaseSequenceGenerator",
    "FakeAttentionRecurrent",
    "LookupFeedback",
    "Readout",
    "SequenceGenerator",
    "SoftmaxEmitter",
    "TrivialEmitter",
    "TrivialFeedback",
]


class BaseSequenceGenerator(Initializable):
    r"""A sequence generator from a readout and an attention transition.

    Notation: states :math:`s_i` (``transition.compute_states.outputs``),
    glimpses :math:`g_i` (``transition.take_glimpses.outputs``), contexts
    (``transition.apply.contexts``), outputs :math:`y_i`, feedback
    :math:`f_i` and costs :math:`c_i`. Generation goes:

    1. :math:`y_0` = ``readout.initial_outputs``; :math:`s_0, g_0` =
       ``transition.initial_states``.
    2. :math:`g_i` = ``transition.take_glimpses(s_{i-1}, g_{i-1}, contexts)``.
    3. :math:`r_i` = ``readout.readout(f_{i-1}, s_{i-1}, g_i, contexts)``
       with :math:`f_{i-1}` = ``readout.feedback(y_{i-1})``; then
       :math:`y_i` = ``readout.emit(r_i)`` and :math:`c_i` =
       ``readout.cost(r_i, y_i)``.
    4. :math:`s_i` = ``transition.compute_states(s_{i-1}, g_i,
       fork.apply(f_i), contexts)``, and back to 2.

    The readout sees the *new* glimpses and the *old* states; keeping the
    readout steps apart lets :meth:`cost_matrix` run the transition over
    given outputs in one scan and compute all readouts outside it.

    Parameters
    ----------
    readout : :class:`AbstractReadout`
        Turns states into outputs and outputs into feedback.
    transition : :class:`~blocks.bricks.attention.AbstractAttentionRecurrent`
        The recurrent transition, with attention.
    fork : :class:`~blocks.bricks.Brick`
        Computes the transition's inputs from the feedback.

    Notes
    -----
    Initialized as any :class:`~blocks.bricks.Initializable` brick.

    """

    def __init__(self, readout, transition, fork, **kwargs):
        if not isinstance(transition, AbstractAttentionRecurrent):
            raise TypeError(
                f"the transition of a BaseSequenceGenerator must be an "
                f"AbstractAttentionRecurrent (wrap a plain recurrent brick in "
                f"FakeAttentionRecurrent, or use SequenceGenerator), got "
                f"{type(transition).__name__}"
            )
        self.readout = readout
        self.transition = transition
        self.fork = fork
        kwargs.setdefault("children", []).extend([readout, fork, transition])
        super().__init__(**kwargs)

    @property
    def _state_names(self):
        return self.transition.compute_states.outputs

    @property
    def _context_names(self):
        return self.transition.apply.contexts

    @property
    def _glimpse_names(self):
        return self.transition.take_glimpses.outputs

    def _push_allocation_config(self):
        # The readout asks the transition for dimensions: configure the
        # transition first, and the readout before the fork.
        self.transition.push_allocation_config()
        transition_sources = (
            self._state_names + self._context_names + self._glimpse_names
        )
        self.readout.source_dims = [
            self.transition.get_dim(name)
            if name in transition_sources
            else self.readout.get_dim(name)
            for name in self.readout.source_names
        ]
        self.readout.push_allocation_config()
        (feedback_name,) = self.readout.feedback.outputs
        self.fork.input_dim = self.readout.get_dim(feedback_name)
        self.fork.output_dims = self.transition.get_dims(self.fork.apply.outputs)

    @application
    def cost(self, application_call, outputs, mask=None, **kwargs):
        r"""The batch average of the sequences' summed per-step costs.

        Parameters
        ----------
        outputs : :class:`~tensor.TensorVariable`
            The output sequences, (time, batch) or (time, batch, dim).
        mask : :class:`~tensor.TensorVariable`, optional
            (time, batch) 0/1 matrix, 0 on padding.
        \*\*kwargs
            The contexts (e.g. ``attended``, ``attended_mask``) and
            optionally initial states.

        Returns
        -------
        :class:`~tensor.TensorVariable`
            A scalar with role :data:`~blocks.roles.COST`. The average
            cost per real element is added as an auxiliary variable named
            ``per_sequence_element``.

        Notes
        -----
        With sequences of very different lengths in a batch, long ones
        weigh more in this cost.

        """
        costs = self.cost_matrix(outputs, mask=mask, **kwargs)
        cost = tensor.mean(costs.sum(axis=0))
        add_role(cost, COST)
        if mask is not None:
            per_element = costs.sum() / mask.sum()
        else:
            per_element = costs.mean()
        application_call.add_auxiliary_variable(
            per_element, name="per_sequence_element"
        )
        return cost

    @application
    def cost_matrix(self, application_call, outputs, mask=None, **kwargs):
        r"""The cost of each step of given output sequences, (time, batch).

        The transition runs over the feedback of `outputs`; step ``t`` is
        predicted from the states before it and the feedback of output
        ``t - 1`` (of the initial output for ``t = 0``).

        Parameters
        ----------
        outputs : :class:`~tensor.TensorVariable`
            (time, batch[, dim]) outputs.
        mask : :class:`~tensor.TensorVariable`, optional
            (time, batch) 0/1 mask; masked steps cost 0.
        \*\*kwargs
            Contexts and optional initial states.

        Returns
        -------
        :class:`~tensor.TensorVariable`
            The (time, batch) costs. The states and glimpses used for the
            readouts, and the final value of each (``<name>_final_value``),
            are added as auxiliary variables.

        """
        batch_size = outputs.shape[1]
        states = dict_subset(kwargs, self._state_names, must_have=False)
        contexts = dict_subset(kwargs, self._context_names, must_have=False)
        feedback = self.readout.feedback(outputs)
        inputs = self.fork.apply(feedback, as_dict=True)

        results = self.transition.apply(
            mask=mask,
            return_initial_states=True,
            as_dict=True,
            **dict_union(inputs, states, contexts),
        )
        # States come with their initial value, (T + 1) steps: the last
        # predicts nothing. Glimpses are taken before each output, so their
        # initial values are not used.
        states = {name: results[name][:-1] for name in self._state_names}
        glimpses = {name: results[name][1:] for name in self._glimpse_names}

        # The readout of step t sees the feedback of output t - 1.
        initial_feedback = self.readout.feedback(
            self.readout.initial_outputs(batch_size)
        )
        shifted_feedback = tensor.concatenate(
            [tensor.shape_padleft(initial_feedback), feedback[:-1]], axis=0
        )
        readouts = self.readout.readout(
            feedback=shifted_feedback, **dict_union(states, glimpses, contexts)
        )
        costs = self.readout.cost(readouts, outputs)
        if mask is not None:
            costs = costs * mask

        for name, variable in list(glimpses.items()) + list(states.items()):
            application_call.add_auxiliary_variable(variable.copy(), name=name)
        # The last values can start the states of a following batch.
        for name in self._state_names + self._glimpse_names:
            application_call.add_auxiliary_variable(
                results[name][-1].copy(), name=name + "_final_value"
            )
        return costs

    @recurrent
    def generate(self, outputs, **kwargs):
        r"""One generation step (called with ``iterate=True``: many).

        Parameters
        ----------
        outputs : :class:`~tensor.TensorVariable`
            The outputs of the previous step.
        \*\*kwargs
            The previous states and glimpses and the contexts. As any
            recurrent application it also takes ``n_steps``,
            ``batch_size`` and ``iterate``.

        Returns
        -------
        list of :class:`~tensor.TensorVariable`
            The next states, the sampled outputs, the glimpses and the
            costs of the outputs.

        """
        states = dict_subset(kwargs, self._state_names, must_have=False)
        contexts = dict_subset(kwargs, self._context_names, must_have=False)
        glimpses = dict_subset(kwargs, self._glimpse_names, must_have=False)

        next_glimpses = self.transition.take_glimpses(
            as_dict=True, **dict_union(states, glimpses, contexts)
        )
        next_readouts = self.readout.readout(
            feedback=self.readout.feedback(outputs),
            **dict_union(states, next_glimpses, contexts),
        )
        next_outputs = self.readout.emit(next_readouts)
        next_costs = self.readout.cost(next_readouts, next_outputs)
        next_feedback = self.readout.feedback(next_outputs)
        next_inputs = (
            self.fork.apply(next_feedback, as_dict=True)
            if self.fork
            else {"feedback": next_feedback}
        )
        next_states = self.transition.compute_states(
            as_list=True, **dict_union(next_inputs, states, next_glimpses, contexts)
        )
        return [
            *next_states,
            next_outputs,
            *next_glimpses.values(),
            next_costs,
        ]

    @generate.delegate
    def generate_delegate(self):
        return self.transition.apply

    @generate.property("states")
    def generate_states(self):
        return [*self._state_names, "outputs", *self._glimpse_names]

    @generate.property("outputs")
    def generate_outputs(self):
        return [*self._state_names, "outputs", *self._glimpse_names, "costs"]

    def get_dim(self, name):
        if name in self._state_names + self._context_names + self._glimpse_names:
            return self.transition.get_dim(name)
        if name == "outputs":
            return self.readout.get_dim(name)
        return super().get_dim(name)

    @application
    def initial_states(self, batch_size, *args, **kwargs):
        """The transition's initial states and the readout's initial outputs."""
        values = dict(
            self.transition.initial_states(batch_size, *args, as_dict=True, **kwargs)
        )
        values["outputs"] = self.readout.initial_outputs(batch_size)
        return [values[name] for name in self.generate.states]

    @initial_states.property("outputs")
    def initial_states_outputs(self):
        return self.generate.states


class AbstractReadout(Initializable):
    """The interface of a sequence generator's readout.

    The readout links the recurrent network to the output sequence: it
    computes readouts from the network's sources, emits outputs from
    readouts, prices outputs, and feeds them back.

    Parameters
    ----------
    source_names : list of str
        The sources the readout reads, e.g. ``['states']`` or
        ``['states', 'weighted_averages', 'feedback']``.
    readout_dim : int
        The dimension of the readout. Required by ``allocate``.

    See Also
    --------
    BaseSequenceGenerator : how the readout's methods are used.
    Readout : the usual readout.

    """

    @lazy(allocation=["source_names", "readout_dim"])
    def __init__(self, source_names, readout_dim, **kwargs):
        self.source_names = source_names
        self.readout_dim = readout_dim
        super().__init__(**kwargs)

    @abstractmethod
    def emit(self, readouts):
        """Outputs from (batch, readout_dim) readouts."""

    @abstractmethod
    def cost(self, readouts, outputs):
        """The cost of `outputs` given `readouts`.

        Parameters
        ----------
        readouts : :class:`~tensor.TensorVariable`
            (..., readout_dim) readouts.
        outputs : :class:`~tensor.TensorVariable`
            The outputs, with the leading axes of `readouts` and the same
            number of axes or one less.

        """

    @abstractmethod
    def initial_outputs(self, batch_size):
        """The outputs before the first step (:math:`y_0`)."""

    @abstractmethod
    def readout(self, **kwargs):
        """The readouts from the states, glimpses, contexts and feedback."""

    @abstractmethod
    def feedback(self, outputs):
        """What of `outputs` goes back into the transition."""

    def get_dim(self, name):
        if name == "readouts":
            return self.readout_dim
        return super().get_dim(name)


class Readout(AbstractReadout):
    """A readout made of a merge pipeline, an emitter and a feedback brick.

    The readouts are ``post_merge(merge(sources))``; ``emit``, ``cost``
    and ``initial_outputs`` are the emitter's and ``feedback`` the
    feedback brick's.

    Parameters
    ----------
    emitter : :class:`AbstractEmitter`, optional
        A :class:`TrivialEmitter` by default.
    feedback_brick : :class:`AbstractFeedback`, optional
        A :class:`TrivialFeedback` by default.
    merge : :class:`~blocks.bricks.Brick`, optional
        Combines the sources into one variable. Cannot be given with
        `merge_prototype`; by default a :class:`~blocks.bricks.parallel.Merge`.
    merge_prototype : :class:`~blocks.bricks.Feedforward`, optional
        The transformation applied to each source before the default
        merge sums them; ``Linear(use_bias=False)`` by default.
    post_merge : :class:`~blocks.bricks.Feedforward`, optional
        Applied to the merged sources; a :class:`~blocks.bricks.Bias` by
        default.
    merged_dim : int, optional
        The dimension between merge and post_merge; `readout_dim` by
        default.
    source_names, readout_dim
        See :class:`AbstractReadout`.

    """

    def __init__(
        self,
        emitter=None,
        feedback_brick=None,
        merge=None,
        merge_prototype=None,
        post_merge=None,
        merged_dim=None,
        **kwargs,
    ):
        if merge is not None and merge_prototype is not None:
            raise ValueError("Readout takes merge or merge_prototype, not both")
        readout_dim = kwargs.get("readout_dim")
        if emitter is None:
            emitter = TrivialEmitter(readout_dim)
        if feedback_brick is None:
            feedback_brick = TrivialFeedback(readout_dim)
        if merge is None:
            merge = Merge(
                input_names=kwargs.get("source_names"), prototype=merge_prototype
            )
        if post_merge is None:
            post_merge = Bias(dim=readout_dim)
        self.emitter = emitter
        self.feedback_brick = feedback_brick
        self.merge = merge
        self.post_merge = post_merge
        self.merged_dim = merged_dim
        self.source_dims = None
        kwargs.setdefault("children", []).extend(
            [emitter, feedback_brick, merge, post_merge]
        )
        super().__init__(**kwargs)

    def _merged_dim(self):
        return self.merged_dim if self.merged_dim else self.readout_dim

    def _push_allocation_config(self):
        self.emitter.readout_dim = self.get_dim("readouts")
        self.feedback_brick.output_dim = self.get_dim("outputs")
        self.merge.input_names = self.source_names
        if self.source_dims is None:
            self.source_dims = [self.get_dim(name) for name in self.source_names]
        self.merge.input_dims = self.source_dims
        self.merge.output_dim = self._merged_dim()
        self.post_merge.input_dim = self._merged_dim()
        self.post_merge.output_dim = self.readout_dim

    @application
    def readout(self, **kwargs):
        r"""``post_merge(merge(sources))``; other keyword arguments are ignored."""
        merged = self.merge.apply(
            **{name: kwargs[name] for name in self.merge.input_names}
        )
        return self.post_merge.apply(merged)

    @application
    def emit(self, readouts):
        return self.emitter.emit(readouts)

    @application
    def cost(self, readouts, outputs):
        return self.emitter.cost(readouts, outputs)

    @application
    def initial_outputs(self, batch_size):
        return self.emitter.initial_outputs(batch_size)

    @application(outputs=["feedback"])
    def feedback(self, outputs):
        return self.feedback_brick.feedback(outputs)

    def get_dim(self, name):
        if name == "outputs":
            return self.emitter.get_dim(name)
        if name == "feedback":
            return self.feedback_brick.get_dim(name)
        if name == "readouts":
            return self.readout_dim
        return super().get_dim(name)


class AbstractEmitter(Brick):
    """The interface of a readout's emitter.

    ``readout_dim`` is pushed by the :class:`Readout`. The cost is
    applied to whole sequences in
    :meth:`BaseSequenceGenerator.cost_matrix` and to single steps in
    :meth:`BaseSequenceGenerator.generate`, so it must accept both.

    See Also
    --------
    Readout, SoftmaxEmitter

    """

    @abstractmethod
    def emit(self, readouts):
        """See :meth:`AbstractReadout.emit`."""

    @abstractmethod
    def cost(self, readouts, outputs):
        """See :meth:`AbstractReadout.cost`."""

    @abstractmethod
    def initial_outputs(self, batch_size):
        """See :meth:`AbstractReadout.initial_outputs`."""


class AbstractFeedback(Brick):
    """The interface of a readout's feedback brick.

    See Also
    --------
    Readout, LookupFeedback

    """

    @abstractmethod
    def feedback(self, outputs):
        """See :meth:`AbstractReadout.feedback`."""


class TrivialEmitter(AbstractEmitter):
    """An emitter whose outputs are the readouts themselves.

    Parameters
    ----------
    readout_dim : int
        The dimension of the readouts (and outputs).

    Notes
    -----
    Its cost is 0 for every step (one value per step: the readouts'
    shape without the last axis); subclass it for a real cost.

    """

    @lazy(allocation=["readout_dim"])
    def __init__(self, readout_dim, **kwargs):
        super().__init__(**kwargs)
        self.readout_dim = readout_dim

    @application
    def emit(self, readouts):
        return readouts

    @application
    def cost(self, readouts, outputs):
        return tensor.zeros_like(readouts.sum(axis=readouts.ndim - 1))

    @application
    def initial_outputs(self, batch_size):
        return tensor.zeros((batch_size, self.readout_dim))

    def get_dim(self, name):
        if name == "outputs":
            return self.readout_dim
        return super().get_dim(name)


class SoftmaxEmitter(AbstractEmitter, Initializable, Random):
    """An emitter of integers: readouts are energies of the classes.

    Parameters
    ----------
    initial_output : int or scalar variable, optional
        The output before the first step; 0 by default.

    """

    def __init__(self, initial_output=0, **kwargs):
        self.initial_output = initial_output
        self.softmax = NDimensionalSoftmax()
        kwargs.setdefault("children", []).append(self.softmax)
        super().__init__(**kwargs)

    @application
    def probs(self, readouts):
        """The softmax over the last axis of `readouts`, any leading axes."""
        return self.softmax.apply(readouts, extra_ndim=readouts.ndim - 2)

    @application
    def emit(self, readouts):
        """Sample one class per row of (batch, classes) readouts."""
        probs = self.probs(readouts)
        batch_size = probs.shape[0]
        one_hot = self.theano_rng.multinomial(pvals=probs.reshape((batch_size, -1)))
        return one_hot.reshape(probs.shape).argmax(axis=-1)

    @application
    def cost(self, readouts, outputs):
        """Categorical cross-entropy of integer `outputs`."""
        return self.softmax.categorical_cross_entropy(
            outputs, readouts, extra_ndim=readouts.ndim - 2
        )

    @application
    def initial_outputs(self, batch_size):
        return self.initial_output * tensor.ones((batch_size,), dtype="int64")

    def get_dim(self, name):
        if name == "outputs":
            return 0
        return super().get_dim(name)


class TrivialFeedback(AbstractFeedback):
    """A feedback brick that feeds the outputs back as they are.

    Parameters
    ----------
    output_dim : int
        The dimension of the outputs.

    """

    @lazy(allocation=["output_dim"])
    def __init__(self, output_dim, **kwargs):
        super().__init__(**kwargs)
        self.output_dim = output_dim

    @application(outputs=["feedback"])
    def feedback(self, outputs):
        return outputs

    def get_dim(self, name):
        if name == "feedback":
            return self.output_dim
        return super().get_dim(name)


class LookupFeedback(AbstractFeedback, Initializable):
    """A feedback brick for integer outputs: a learned embedding of each.

    Parameters
    ----------
    num_outputs : int
        How many distinct outputs there are.
    feedback_dim : int
        The dimension of the embeddings.

    """

    def __init__(self, num_outputs=None, feedback_dim=None, **kwargs):
        self.num_outputs = num_outputs
        self.feedback_dim = feedback_dim
        self.lookup = LookupTable(num_outputs, feedback_dim)
        kwargs.setdefault("children", []).append(self.lookup)
        super().__init__(**kwargs)

    def _push_allocation_config(self):
        self.lookup.length = self.num_outputs
        self.lookup.dim = self.feedback_dim

    @application(outputs=["feedback"])
    def feedback(self, outputs):
        """The embeddings of integer `outputs`."""
        if getattr(self, "output_dim", 0) not in (0, None):
            raise ValueError(
                f"LookupFeedback {self.name!r} embeds integer outputs (dimension 0), "
                f"but the readout pushed output_dim={self.output_dim}"
            )
        return self.lookup.apply(outputs)

    def get_dim(self, name):
        if name == "feedback":
            return self.feedback_dim
        return super().get_dim(name)


class FakeAttentionRecurrent(AbstractAttentionRecurrent, Initializable):
    """The attention interface around a transition that has no attention.

    It takes no glimpses and hands every state and context to the wrapped
    transition, so that :class:`BaseSequenceGenerator` can use a plain
    recurrent brick (a language model, say).

    Parameters
    ----------
    transition : :class:`~blocks.bricks.recurrent.BaseRecurrent`
        The wrapped transition.

    """

    def __init__(self, transition, **kwargs):
        self.transition = transition
        self.state_names = transition.apply.states
        self.context_names = transition.apply.contexts
        self.glimpse_names = []
        kwargs.setdefault("children", []).append(transition)
        super().__init__(**kwargs)

    @application
    def apply(self, *args, **kwargs):
        return self.transition.apply(*args, **kwargs)

    @apply.delegate
    def apply_delegate(self):
        return self.transition.apply

    @application
    def compute_states(self, *args, **kwargs):
        return self.transition.apply(*args, iterate=False, **kwargs)

    @compute_states.delegate
    def compute_states_delegate(self):
        return self.transition.apply

    @application(outputs=[])
    def take_glimpses(self, *args, **kwargs):
        return []

    @application
    def initial_states(self, batch_size, *args, **kwargs):
        return self.transition.initial_states(batch_size, *args, **kwargs)

    @initial_states.property("outputs")
    def initial_states_outputs(self):
        return self.transition.apply.outputs

    def get_dim(self, name):
        return self.transition.get_dim(name)


class SequenceGenerator(BaseSequenceGenerator):
    """A :class:`BaseSequenceGenerator` built from a plain transition.

    Parameters
    ----------
    readout : :class:`AbstractReadout`
        The readout.
    transition : :class:`~blocks.bricks.recurrent.BaseRecurrent`
        The recurrent transition; wrapped in
        :class:`~blocks.bricks.attention.AttentionRecurrent` (named
        ``att_trans``) with `attention`, else in
        :class:`FakeAttentionRecurrent` (``with_fake_attention``).
    attention : :class:`~blocks.bricks.attention.AbstractAttention`, optional
        The attention mechanism.
    add_contexts : bool, optional
        Passed to :class:`~blocks.bricks.attention.AttentionRecurrent`.
    **kwargs
        Passed to :class:`BaseSequenceGenerator`; without ``fork``, a
        :class:`~blocks.bricks.parallel.Fork` onto every sequential input
        of the transition whose name does not contain ``mask``.

    """

    def __init__(
        self, readout, transition, attention=None, add_contexts=True, **kwargs
    ):
        normal_inputs = [
            name for name in transition.apply.sequences if "mask" not in name
        ]
        kwargs.setdefault("fork", Fork(normal_inputs))
        if attention is not None:
            transition = AttentionRecurrent(
                transition, attention, add_contexts=add_contexts, name="att_trans"
            )
        else:
            transition = FakeAttentionRecurrent(transition, name="with_fake_attention")
        super().__init__(readout, transition, **kwargs)
