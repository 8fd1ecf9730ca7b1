"""Beam search over the outputs of a sequence generator."""

from collections import OrderedDict

import numpy

from blocks.bricks.sequence_generators import BaseSequenceGenerator
from blocks.filter import VariableFilter, get_application_call, get_brick
from blocks.graph import ComputationGraph
from blocks.roles import INPUT, OUTPUT
from symbolic import clone, config, function, tensor

__all__ = ["BeamSearch"]


class BeamSearch:
    """Beam search for the likeliest outputs of a sequence generator.

    It reads the graph of a :meth:`BaseSequenceGenerator.generate` call:
    the step graph inside its scan gives the functions computing the
    output probabilities and the next states, and the outer graph gives
    the initial states and the contexts. Those functions are then driven
    from numpy, keeping the `beam_size` cheapest prefixes at every step.

    Parameters
    ----------
    samples : :class:`~tensor.TensorVariable`
        The ``outputs`` of a ``generate`` call made with ``iterate=True``.
        Its batch size is the beam size, so every context given to it
        must hold `beam_size` copies of the input.

    Notes
    -----
    The functions are compiled by :meth:`compile`, on the first
    :meth:`search` if not before. Costs are negative log-probabilities.

    """

    def __init__(self, samples):
        self.cg = ComputationGraph(samples)
        self.inputs = self.cg.inputs
        self.generator = get_brick(samples)
        if not isinstance(self.generator, BaseSequenceGenerator):
            raise ValueError(
                f"BeamSearch needs the outputs of a sequence generator's generate "
                f"call, but {samples} was made by {self.generator!r}"
            )
        self.generate_call = get_application_call(samples)
        if self.generate_call.application.application is not (
            self.generator.generate.application
        ):
            raise ValueError(
                f"BeamSearch needs the outputs of generate, but {samples} comes "
                f"from {self.generate_call.application}"
            )
        inner_outputs = getattr(self.generate_call, "inner_outputs", None)
        if inner_outputs is None:
            raise ValueError(
                f"{samples} comes from a generate call made with iterate=False; "
                f"BeamSearch needs its scan"
            )
        self.inner_cg = ComputationGraph(inner_outputs)

        self.context_names = list(self.generator.generate.contexts)
        self.state_names = list(self.generator.generate.states)

        def step_input(name):
            found = VariableFilter(bricks=[self.generator], name=name, roles=[INPUT])(
                self.inner_cg
            )
            return found[0] if found else None

        # Contexts not given to generate (an optional mask) are left out.
        self.contexts = OrderedDict()
        for name in self.context_names:
            variable = step_input(name)
            if variable is not None:
                self.contexts[name] = variable
        # What the attention computes from the contexts alone (a Linear
        # map of the attended, for content attention) is the same on every
        # step: it is computed once per search, with the contexts, and
        # given to the step functions as one more context.
        self.precomputed = OrderedDict()
        attention = getattr(self.generator.transition, "attention", None)
        preprocess = getattr(attention, "preprocess", None)
        if preprocess is not None:
            found = VariableFilter(applications=[preprocess], roles=[OUTPUT])(
                self.inner_cg
            )
            if found:
                self.precomputed[found[0].tag.name] = found[0]
        # Only the states the step actually reads are inputs of the
        # functions.
        self.input_states = OrderedDict()
        for name in self.state_names:
            variable = step_input(name)
            if variable is not None:
                self.input_states[name] = variable
        self.compiled = False

    def _compile_initial_state_and_context_computer(self):
        initial_states = VariableFilter(
            applications=[self.generator.initial_states], roles=[OUTPUT]
        )(self.cg)
        outputs = OrderedDict((v.tag.name, v) for v in initial_states)
        missing = [name for name in self.state_names if name not in outputs]
        if missing:
            raise ValueError(
                f"no initial value of the states {missing} in the generate graph; "
                f"BeamSearch needs generate to start from initial_states"
            )
        found = VariableFilter(
            applications=[self.generator.initial_states], name="batch_size"
        )(self.cg)
        # A batch size given as a number is in no variable: read it from
        # the initial outputs.
        beam_size = found[0] if found else outputs["outputs"].shape[0]
        # The contexts as scan sees them: the outer variables its step's
        # context inputs stand for.
        outer_contexts = self._outer_contexts()
        precomputed = clone(
            list(self.precomputed.values()),
            replace={
                self.contexts[name]: outer_contexts[name] for name in self.contexts
            },
        )
        names = [*self.state_names, *self.contexts, *self.precomputed, "beam_size"]
        values = [
            *(outputs[name] for name in self.state_names),
            *(outer_contexts[name] for name in self.contexts),
            *precomputed,
            tensor.as_tensor_variable(beam_size),
        ]
        self._initial_names = names
        self.initial_state_and_context_computer = function(
            self.inputs, values, on_unused_input="ignore"
        )

    def _outer_contexts(self):
        outer = VariableFilter(applications=[self.generator.generate], roles=[INPUT])(
            self.cg
        )
        result = {}
        for variable in outer:
            name = variable.tag.name
            if name in self.contexts and name not in result:
                result[name] = variable
        missing = [name for name in self.contexts if name not in result]
        if missing:
            raise ValueError(f"the contexts {missing} are not inputs of generate")
        return result

    def _next_state_variables(self):
        next_states = []
        for name in self.state_names:
            found = VariableFilter(bricks=[self.generator], name=name, roles=[OUTPUT])(
                self.inner_cg
            )
            next_states.append(found[-1])
        (next_outputs, *_) = VariableFilter(
            applications=[self.generator.readout.emit], roles=[OUTPUT]
        )(self.inner_cg.variables)
        return next_states, next_outputs

    def _compile_next_state_computer(self):
        # The glimpses the step takes are computed with the log-probabilities
        # (the readout needs them); the search hands them over instead of
        # having them computed again.
        next_states, next_outputs = self._next_state_variables()
        self.glimpses = [
            VariableFilter(
                applications=[self.generator.transition.take_glimpses],
                name=name,
                roles=[OUTPUT],
            )(self.inner_cg)[0]
            for name in self.generator.transition.take_glimpses.outputs
        ]
        self._next_state_from_glimpses = function(
            [
                *self._context_inputs(),
                *self.input_states.values(),
                *self.glimpses,
                next_outputs,
            ],
            next_states,
            on_unused_input="ignore",
        )
        self.next_state_computer = None

    def _compile_logprobs_computer(self):
        # Several variables may be the probabilities (the emitter's call
        # and its copies); they compute the same values.
        probs = VariableFilter(
            applications=[self.generator.readout.emitter.probs], roles=[OUTPUT]
        )(self.inner_cg)[0]
        self._logprobs_and_glimpses = function(
            [*self._context_inputs(), *self.input_states.values()],
            [-tensor.log(probs), *self.glimpses],
            on_unused_input="ignore",
        )

    def _context_inputs(self):
        return [*self.contexts.values(), *self.precomputed.values()]

    def compile(self):
        """Compile the functions the search runs."""
        self._compile_initial_state_and_context_computer()
        self._compile_next_state_computer()
        self._compile_logprobs_computer()
        self.compiled = True

    def compute_initial_states_and_contexts(self, inputs):
        """The contexts, the initial states and the beam size.

        Parameters
        ----------
        inputs : dict
            A value for each input variable of the `samples` graph.

        Returns
        -------
        contexts : OrderedDict
            Context values, by name, then the values computed once from
            them (the attention's preprocessed attended).
        states : OrderedDict
            Initial state values, by name (``outputs`` among them).
        beam_size : int

        """
        missing = [variable for variable in self.inputs if variable not in inputs]
        if missing:
            raise KeyError(f"BeamSearch needs values for the inputs {missing}")
        values = self.initial_state_and_context_computer(
            *[inputs[variable] for variable in self.inputs]
        )
        named = OrderedDict(zip(self._initial_names, values, strict=True))
        states = OrderedDict((name, named[name]) for name in self.state_names)
        contexts = OrderedDict(
            (name, named[name]) for name in [*self.contexts, *self.precomputed]
        )
        return contexts, states, int(named["beam_size"])

    def compute_logprobs(self, contexts, states):
        """Negative log-probabilities of the next outputs, (beam, classes)."""
        return self._logprobs_and_glimpses(
            *contexts.values(), *(states[name] for name in self.input_states)
        )[0]

    def compute_next_states(self, contexts, states, outputs, glimpses=None):
        """The states after emitting `outputs`, by name.

        Parameters
        ----------
        contexts, states : OrderedDict
            As :meth:`compute_initial_states_and_contexts` gives them.
        outputs : numpy.ndarray
            The emitted outputs, one per row of the beam.
        glimpses : list of numpy.ndarray, optional
            The glimpses of this step, if already computed (the search
            gets them with the log-probabilities); computed otherwise.

        """
        input_states = [states[name] for name in self.input_states]
        if glimpses is not None:
            next_values = self._next_state_from_glimpses(
                *contexts.values(), *input_states, *glimpses, outputs
            )
        else:
            if self.next_state_computer is None:
                next_states, next_outputs = self._next_state_variables()
                self.next_state_computer = function(
                    [
                        *self._context_inputs(),
                        *self.input_states.values(),
                        next_outputs,
                    ],
                    next_states,
                    on_unused_input="ignore",
                )
            next_values = self.next_state_computer(
                *contexts.values(), *input_states, outputs
            )
        return OrderedDict(zip(self.state_names, next_values, strict=True))

    @staticmethod
    def _smallest(matrix, k, only_first_row=False):
        """The `k` smallest elements of a matrix, in increasing order.

        Parameters
        ----------
        matrix : numpy.ndarray
            A matrix.
        k : int
            How many elements to find.
        only_first_row : bool, optional
            Search the first row only.

        Returns
        -------
        indices : tuple of numpy.ndarray
            The row and column indices of the elements.
        values : numpy.ndarray
            The elements.

        """
        flat = matrix[:1].flatten() if only_first_row else matrix.flatten()
        k = min(k, flat.size)
        if k < flat.size:
            candidates = numpy.argpartition(flat, k)[:k]
        else:
            candidates = numpy.arange(flat.size)
        # A stable sort: equal costs keep the order of their indices.
        candidates = candidates[numpy.argsort(flat[candidates], kind="stable")]
        return numpy.unravel_index(candidates, matrix.shape), flat[candidates]

    def search(
        self,
        input_values,
        eol_symbol,
        max_length,
        ignore_first_eol=False,
        as_arrays=False,
    ):
        """Find the likeliest output sequences.

        Parameters
        ----------
        input_values : dict
            A value for each input of the `samples` graph; the batch size
            of the values is the beam size.
        eol_symbol : int
            The end-of-line output: a sequence that emits it is finished
            (the symbol is kept at its end).
        max_length : int
            The most steps taken.
        ignore_first_eol : bool, optional
            Do not end a sequence whose first output is `eol_symbol`.
        as_arrays : bool, optional
            Return arrays instead of lists.

        Returns
        -------
        outputs, costs : lists
            Without `as_arrays`: the sequences (lists of ints) and their
            total costs, likeliest first.
        outputs, mask, costs : numpy.ndarray
            With `as_arrays`: (time, beam) outputs, their 0/1 mask and the
            cost of each step.

        """
        if not self.compiled:
            self.compile()
        contexts, states, beam_size = self.compute_initial_states_and_contexts(
            input_values
        )

        # Row 0 holds the initial outputs; finished sequences stay in the
        # beam and are padded with the end-of-line symbol at no cost.
        all_outputs = states["outputs"][None, :]
        all_masks = numpy.ones_like(all_outputs, dtype=config.floatX)
        all_costs = numpy.zeros_like(all_outputs, dtype=config.floatX)

        for i in range(max_length):
            if all_masks[-1].sum() == 0:
                break
            logprobs, *glimpses = self._logprobs_and_glimpses(
                *contexts.values(), *(states[name] for name in self.input_states)
            )
            next_costs = all_costs[-1, :, None] + logprobs * all_masks[-1, :, None]
            (finished,) = numpy.where(all_masks[-1] == 0)
            next_costs[finished, :eol_symbol] = numpy.inf
            next_costs[finished, eol_symbol + 1 :] = numpy.inf

            # On the first step every row of the beam is the same prefix.
            (indices, outputs), chosen_costs = self._smallest(
                next_costs, beam_size, only_first_row=i == 0
            )
            if len(outputs) < beam_size:
                # Fewer candidates than the beam (a beam wider than the
                # vocabulary, on the first step): the contexts have
                # beam_size rows, so fill the beam with impossible copies.
                fill = beam_size - len(outputs)
                indices = numpy.concatenate([indices, numpy.repeat(indices[-1:], fill)])
                outputs = numpy.concatenate([outputs, numpy.repeat(outputs[-1:], fill)])
                chosen_costs = numpy.concatenate(
                    [chosen_costs, numpy.full(fill, numpy.inf, chosen_costs.dtype)]
                )
            for name in states:
                states[name] = states[name][indices]
            glimpses = [glimpse[indices] for glimpse in glimpses]
            all_outputs = all_outputs[:, indices]
            all_masks = all_masks[:, indices]
            all_costs = all_costs[:, indices]

            states.update(self.compute_next_states(contexts, states, outputs, glimpses))
            all_outputs = numpy.vstack([all_outputs, outputs[None, :]])
            all_costs = numpy.vstack([all_costs, chosen_costs[None, :]])
            mask = outputs != eol_symbol
            if ignore_first_eol and i == 0:
                mask[:] = 1
            all_masks = numpy.vstack([all_masks, mask[None, :]])

        all_outputs = all_outputs[1:]
        all_masks = all_masks[:-1]
        # Impossible filler rows (inf - inf) come out NaN.
        with numpy.errstate(invalid="ignore"):
            all_costs = all_costs[1:] - all_costs[:-1]
        result = all_outputs, all_masks, all_costs
        if as_arrays:
            return result
        return self.result_to_lists(result)

    @staticmethod
    def result_to_lists(result):
        """Turn the arrays of :meth:`search` into lists.

        Parameters
        ----------
        result : tuple of numpy.ndarray
            (outputs, mask, costs), each (time, beam).

        Returns
        -------
        outputs : list of lists of int
            Each sequence, cut at the end of its mask.
        costs : list of float
            Each sequence's total cost.

        """
        outputs, masks, costs = (array.T for array in result)
        outputs = [
            [int(symbol) for symbol in output[: int(mask.sum())]]
            for output, mask in zip(outputs, masks, strict=True)
        ]
        return outputs, [float(cost) for cost in costs.sum(axis=1)]
