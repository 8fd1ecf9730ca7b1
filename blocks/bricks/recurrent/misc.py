"""Helper bricks for recurrent networks: bidirectional and stacked ones."""

import copy

from blocks.bricks.base import application, lazy
from blocks.bricks.interfaces import Initializable
from blocks.bricks.parallel import Fork
from blocks.bricks.recurrent.base import BaseRecurrent, recurrent
from blocks.bricks.simple import Linear
from symbolic import tensor

__all__ = ["RECURRENTSTACK_SEPARATOR", "Bidirectional", "RecurrentStack"]

#: Separates a name from its level in the names of a :class:`RecurrentStack`
RECURRENTSTACK_SEPARATOR = "#"


class Bidirectional(Initializable):
    """Two copies of a recurrent brick, one reading the sequences backwards.

    ``apply`` runs the ``forward`` copy as usual and the ``backward`` copy
    with ``reverse=True``, turns the backward outputs back into time order,
    and joins each pair of outputs on their last axis.

    Parameters
    ----------
    prototype : :class:`BaseRecurrent`
        The brick both copies are deep-copied from.

    Notes
    -----
    Initialized as any :class:`.Initializable` brick.

    """

    has_bias = False

    @lazy()
    def __init__(self, prototype, **kwargs):
        super().__init__(**kwargs)
        self.prototype = prototype
        self.children = [copy.deepcopy(prototype) for _ in range(2)]
        self.children[0].name = "forward"
        self.children[1].name = "backward"

    @application
    def apply(self, *args, **kwargs):
        """The forward and time-ordered backward outputs, joined on the last axis."""
        forward = self.children[0].apply(*args, as_list=True, **kwargs)
        backward = [
            x[::-1]
            for x in self.children[1].apply(*args, reverse=True, as_list=True, **kwargs)
        ]
        return [
            tensor.concatenate([f, b], axis=2)
            for f, b in zip(forward, backward, strict=True)
        ]

    @apply.delegate
    def apply_delegate(self):
        return self.children[0].apply

    def get_dim(self, name):
        if name in self.apply.outputs:
            return self.prototype.get_dim(name) * 2
        return self.prototype.get_dim(name)


class RecurrentStack(BaseRecurrent, Initializable):
    """Recurrent layers stacked so that each one reads the one below.

    The stack is itself a recurrent brick whose ``apply`` lists the names of
    every layer: layer 0 keeps its names, layer ``n`` above it has ``#n``
    appended to its sequences, states and outputs (``states#1``...).
    Contexts are not renamed, so layers naming the same context share its
    value, and neither is ``mask``, which every layer receives.

    Layer ``n + 1`` gets, added to each of its sequences except the mask, a
    fork (by default a :class:`~blocks.bricks.Linear` brick) of layer
    ``n``'s output named ``states_name``.  With ``skip_connections`` the
    sequences of every layer are also inputs of the stack (a
    :class:`~blocks.bricks.parallel.Fork` over ``apply.sequences`` can feed
    them all); without it only the bottom layer's are, and the layers above
    see only the forks.

    Parameters
    ----------
    transitions : list of :class:`~blocks.bricks.recurrent.BaseRecurrent`
        The layers, bottom first.  Their names get the ``#n`` suffix too.
    fork_prototype : :class:`~blocks.bricks.Feedforward`, optional
        The brick copied between each pair of layers.  The default
        :class:`~blocks.bricks.Linear` has a bias only without
        ``skip_connections``: with them, the external inputs added to the
        fork are assumed to bring their own bias.  A prototype given here
        should follow the same rule.
    states_name : str
        The output (and state) of each layer passed up the stack;
        ``'states'`` by default.
    skip_connections : bool
        Whether the sequences of the layers above the bottom one are
        inputs of the stack (see above).  False by default.

    Notes
    -----
    Initialized as any :class:`.Initializable` brick.

    """

    @staticmethod
    def suffix(name, level):
        if name == "mask":
            return "mask"
        if level == 0:
            return name
        return name + RECURRENTSTACK_SEPARATOR + str(level)

    @staticmethod
    def suffixes(names, level):
        return [RecurrentStack.suffix(name, level) for name in names if name != "mask"]

    @staticmethod
    def split_suffix(name):
        # Only the last "#<level>" is the suffix: the name before it may
        # hold the separator too. A name without one belongs to level 0.
        name_level = name.rsplit(RECURRENTSTACK_SEPARATOR, 1)
        if len(name_level) == 2 and name_level[-1].isdigit():
            return name_level[0], int(name_level[-1])
        return name, 0

    def __init__(
        self,
        transitions,
        fork_prototype=None,
        states_name="states",
        skip_connections=False,
        **kwargs,
    ):
        super().__init__(**kwargs)

        self.states_name = states_name
        self.skip_connections = skip_connections

        for level, transition in enumerate(transitions):
            transition.name += RECURRENTSTACK_SEPARATOR + str(level)
        self.transitions = transitions

        if fork_prototype is None:
            # Without inputs of their own, the upper layers need a bias.
            fork_prototype = Linear(use_bias=not skip_connections)
        depth = len(transitions)
        self.forks = [
            Fork(
                self.normal_inputs(level),
                name="fork_" + str(level),
                prototype=fork_prototype,
            )
            for level in range(1, depth)
        ]

        self.children = self.transitions + self.forks

        # The bottom layer's names are exposed as they are, the mask aside:
        # it goes at the very end below.
        for property_ in ("sequences", "states", "outputs"):
            setattr(
                self.apply,
                property_,
                self.suffixes(getattr(transitions[0].apply, property_), 0),
            )

        if skip_connections:
            exposed_arguments = ("sequences", "states", "outputs")
        else:
            exposed_arguments = ("states", "outputs")
        for level in range(1, depth):
            for property_ in exposed_arguments:
                names = getattr(transitions[level].apply, property_)
                setattr(
                    self.apply,
                    property_,
                    getattr(self.apply, property_) + self.suffixes(names, level),
                )

        # The mask defaults to None, so it comes after the arguments that
        # may be given by position.
        if "mask" in transitions[0].apply.sequences:
            self.apply.sequences.append("mask")

        contexts = []
        for transition in transitions:
            for name in transition.apply.contexts:
                if name not in contexts:
                    contexts.append(name)
        self.apply.contexts = contexts

        # Anything else given to apply controls the recursion.
        self.transition_args = set(
            self.apply.sequences + self.apply.states + self.apply.contexts
        )

        for property_ in ("sequences", "states", "contexts", "outputs"):
            setattr(self.low_memory_apply, property_, getattr(self.apply, property_))

        self.initial_states.outputs = self.apply.states

    def normal_inputs(self, level):
        return [
            name for name in self.transitions[level].apply.sequences if name != "mask"
        ]

    def _push_allocation_config(self):
        # The forks' dimensions come from the transitions' get_dim, which
        # may need the transitions' own configuration pushed first.
        super()._push_allocation_config()
        for transition in self.transitions:
            transition.push_allocation_config()

        for level, fork in enumerate(self.forks):
            fork.input_dim = self.transitions[level].get_dim(self.states_name)
            fork.output_dims = self.transitions[level + 1].get_dims(fork.output_names)

    def do_apply(self, *args, **kwargs):
        """The stack's computation, without the recurrent decorator.

        With ``iterate=True`` each layer runs its own loop over the whole
        sequence, one layer after the other (the ``apply`` path); with
        ``iterate=False`` it computes one step of every layer (the step of
        ``low_memory_apply``, whose single loop the decorator runs).

        """
        args_names = self.apply.sequences + self.apply.contexts
        if len(args) > len(args_names):
            raise TypeError(
                f"{self.name}.apply takes at most {len(args_names)} positional "
                f"arguments ({args_names}), got {len(args)}"
            )
        kwargs.update(zip(args_names, args, strict=False))

        if kwargs.get("reverse", False):
            raise NotImplementedError("RecurrentStack cannot run in reverse")

        results = []
        last_states = None
        for level, transition in enumerate(self.transitions):
            normal_inputs = self.normal_inputs(level)
            layer_kwargs = {}

            if level == 0 or self.skip_connections:
                for name in normal_inputs:
                    layer_kwargs[name] = kwargs.get(self.suffix(name, level))
            if "mask" in transition.apply.sequences:
                layer_kwargs["mask"] = kwargs.get("mask")

            for name in transition.apply.states:
                layer_kwargs[name] = kwargs.get(self.suffix(name, level))

            for name in transition.apply.contexts:
                layer_kwargs[name] = kwargs.get(name)

            if level > 0:
                # The layer below's states, forked to this layer's inputs.
                inputs = self.forks[level - 1].apply(last_states, as_list=True)
                for forked_input, name in zip(inputs, normal_inputs, strict=True):
                    if layer_kwargs.get(name) is not None:
                        layer_kwargs[name] += forked_input
                    else:
                        layer_kwargs[name] = forked_input

            # The rest (iterate, return_initial_states, n_steps...) goes to
            # every layer.
            for key in set(kwargs) - self.transition_args:
                layer_kwargs[key] = kwargs[key]

            result = transition.apply(as_list=True, **layer_kwargs)
            results.extend(result)

            state_index = transition.apply.outputs.index(self.states_name)
            last_states = result[state_index]
            if kwargs.get("return_initial_states", False):
                # The next layer's inputs start after the initial state.
                last_states = last_states[1:]

        return tuple(results)

    @recurrent
    def low_memory_apply(self, *args, **kwargs):
        # The recurrent decorator iterates; do_apply computes one step.
        kwargs["iterate"] = False
        return self.do_apply(*args, **kwargs)

    @application
    def apply(self, *args, **kwargs):
        r"""Run the stack over the sequences.

        Parameters
        ----------
        low_memory : bool
            One loop over all layers at once instead of a loop per layer:
            slower, but only the states of the current step are kept for
            every layer above the bottom.  False by default.
        \*args : :class:`~tensor.TensorVariable`, optional
            Values for ``self.apply.sequences`` then ``self.apply.contexts``,
            in order.
        \*\*kwargs : :class:`~tensor.TensorVariable`
            Values by name for the sequences, states and contexts, and the
            arguments of :func:`~blocks.bricks.recurrent.recurrent`
            (``iterate``, ``return_initial_states``...; not ``reverse``).

        Returns
        -------
        (list of) :class:`~tensor.TensorVariable`
            The outputs named in ``self.apply.outputs``.

        """
        if kwargs.pop("low_memory", False):
            return self.low_memory_apply(*args, **kwargs)
        # Each transition iterates on its own, one layer after the other.
        return self.do_apply(*args, **kwargs)

    def get_dim(self, name):
        # Contexts carry no suffix.
        for transition in self.transitions:
            if name in transition.apply.contexts:
                return transition.get_dim(name)

        name, level = self.split_suffix(name)
        return self.transitions[level].get_dim(name)

    @application
    def initial_states(self, batch_size, *args, **kwargs):
        results = []
        for transition in self.transitions:
            results += transition.initial_states(
                batch_size, *args, as_list=True, **kwargs
            )
        return results
