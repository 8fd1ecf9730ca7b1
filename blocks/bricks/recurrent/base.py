"""Base definitions for recurrent bricks.

A recurrent brick describes one step of its computation; the
:func:`recurrent` decorator turns that step into an application that
iterates over sequences with :func:`symbolic.scan`.

"""

import inspect
import logging

import numpy

from blocks.bricks.base import Application, BoundApplication, Brick, application
from blocks.config import config
from blocks.initialization import NdarrayInitialization
from blocks.utils import dict_subset, dict_union, pack
from blocks.utils.theano_utils import is_shared_variable
from symbolic import scan, tensor

logger = logging.getLogger(__name__)

__all__ = ["BaseRecurrent", "recurrent"]

unknown_scan_input = """

It was given to a recurrent application but is none of its sequences, states
or contexts, so it reaches every step as a non-shared variable that scan was
not told about. That can make the gradient slow to build, and if it depends
on the step's inputs the graph inside the scan may not be what you expect.
Did you forget to declare it in `contexts`?"""


class BaseRecurrent(Brick):
    """A brick whose ``apply`` is a :func:`recurrent` application."""

    has_bias = False

    @application
    def initial_states(self, batch_size, *args, **kwargs):
        r"""The states a recurrent call starts from when it is given none.

        This default reads the state names from ``self.apply.states`` and
        gives each a matrix of zeros, ``(batch_size, get_dim(state))`` (a
        vector when the dimension is 0).  :class:`SimpleRecurrent`,
        :class:`LSTM` and :class:`GatedRecurrent` start instead from
        learned parameters, zero when initialized.

        Parameters
        ----------
        batch_size : int or scalar variable
            How many sequences are processed side by side.
        \*args, \*\*kwargs
            The arguments of the recurrent call, for subclasses whose
            initial states depend on them.

        """
        result = []
        for state in self.apply.states:
            dim = self.get_dim(state)
            if dim == 0:
                result.append(tensor.zeros((batch_size,)))
            else:
                result.append(tensor.zeros((batch_size, dim)))
        return result

    @initial_states.property("outputs")
    def initial_states_outputs(self):
        return self.apply.states


# A state may be given as one of these instead of a variable.
_SPECIAL_STATES = (NdarrayInitialization, Application, BoundApplication)


def _state_value(brick, name, value, batch_size, args, kwargs):
    """The symbolic initial value of state `name` given as `value`."""
    dim = brick.get_dim(name)
    if isinstance(value, NdarrayInitialization):
        # Bricks that are not Initializable have no rng of their own.
        rng = getattr(brick, "rng", None)
        if rng is None:
            rng = numpy.random.RandomState(config.default_seed)
        return tensor.alloc(value.generate(rng, (1, dim)), batch_size, dim)
    if isinstance(value, BoundApplication):
        return value(name, batch_size, *args, **kwargs)
    if isinstance(value, Application):
        return value(brick, name, batch_size, *args, **kwargs)
    return value


def recurrent(*args, **kwargs):
    """Turn a method computing one step into an application over sequences.

    The decorated method receives the current elements of the sequences,
    the previous values of the states and the contexts, and returns the
    outputs of one step, the states' next values among them.  Called
    normally, the resulting application runs it with :func:`symbolic.scan`
    over axis 0 of the sequences (axis 1 being the batch); called with
    ``iterate=False`` it runs one step.  States that are not given start
    from ``initial_states``.

    Parameters
    ----------
    sequences : list of str
        The arguments that are one element of a sequence per step.
    states : list of str
        The arguments that carry a value from one step to the next; each is
        also an output (its next value).
    contexts : list of str
        The arguments that are the same on every step.
    outputs : list of str
        Everything the step returns, in order; the states among them are
        fed back, the others are collected per step.

    Returns
    -------
    :class:`~blocks.bricks.base.Application`
        Takes the step's arguments plus ``iterate``, ``reverse``,
        ``return_initial_states``, ``n_steps``, ``batch_size`` and
        ``scan_kwargs`` (see ``recurrent_apply`` below).

    See Also
    --------
    :doc:`The tutorial on RNNs </rnn>`

    """

    def recurrent_wrapper(application_function):
        spec = inspect.getfullargspec(application_function)
        arg_names = spec.args[1:]
        takes_varargs = spec.varargs is not None

        def recurrent_apply(brick, application, application_call, *args, **kwargs):
            """Iterates a transition function.

            Parameters
            ----------
            iterate : bool
                If ``True`` iteration is made. By default ``True``.
            reverse : bool
                If ``True``, the sequences are processed in backward
                direction. ``False`` by default.
            return_initial_states : bool
                If ``True``, initial states are included in the returned
                state tensors. ``False`` by default.
            n_steps, batch_size : int or scalar variable
                The number of steps and the batch size, needed when no
                sequence is given.
            scan_kwargs : dict
                More keyword arguments for :func:`symbolic.scan`.
            only_return_final : bool
                If ``True``, return only the outputs of the last step. The
                brick's ``only_return_final`` attribute by default, else
                ``False``.

            """
            iterate = kwargs.pop("iterate", True)
            if not iterate:
                return application_function(brick, *args, **kwargs)
            reverse = kwargs.pop("reverse", False)
            scan_kwargs = kwargs.pop("scan_kwargs", {})
            # Options a brick may carry (see the recurrent architectures).
            truncate_gradient = getattr(brick, "truncate_gradient", -1)
            if truncate_gradient != -1:
                scan_kwargs = {"truncate_gradient": truncate_gradient, **scan_kwargs}
            only_return_final = kwargs.pop(
                "only_return_final", getattr(brick, "only_return_final", False)
            )
            return_initial_states = kwargs.pop("return_initial_states", False)
            n_steps = kwargs.pop("n_steps", None)
            batch_size = kwargs.pop("batch_size", None)

            # Positional arguments are named after the step's arguments; a
            # step taking ``*args`` gets the rest in the order of its
            # sequences, then its contexts.
            names = arg_names
            if takes_varargs:
                names = [*arg_names, *application.sequences, *application.contexts]
            if len(args) > len(names):
                raise TypeError(
                    f"{brick.name}.{application.name} takes at most "
                    f"{len(names)} positional arguments ({names}), got {len(args)}"
                )
            for arg, arg_name in zip(args, names, strict=False):
                kwargs[arg_name] = arg

            scan_arguments = (
                application.sequences + application.states + application.contexts
            )
            for name in scan_arguments:
                if name in kwargs:
                    if kwargs[name] is None:
                        del kwargs[name]
                    elif not isinstance(kwargs[name], _SPECIAL_STATES):
                        kwargs[name] = tensor.as_tensor_variable(kwargs[name])

            sequences_given = dict_subset(
                kwargs, application.sequences, must_have=False
            )
            contexts_given = dict_subset(kwargs, application.contexts, must_have=False)

            if sequences_given:
                shape = next(iter(sequences_given.values())).shape
                n_steps = shape[0]
                batch_size = shape[1]
            elif n_steps is None or batch_size is None:
                raise ValueError(
                    f"{brick.name}.{application.name} was given no sequence, so "
                    f"it needs both n_steps and batch_size"
                )

            rest_kwargs = {
                key: value for key, value in kwargs.items() if key not in scan_arguments
            }
            for value in rest_kwargs.values():
                if isinstance(value, tensor.Variable) and not is_shared_variable(value):
                    logger.warning("unknown input %s%s", value, unknown_scan_input)

            # Every state needs an initial value.
            initial_states = brick.initial_states(
                batch_size, *args, as_dict=True, **kwargs
            )
            for name in application.states:
                if name in kwargs:
                    kwargs[name] = _state_value(
                        brick, name, kwargs[name], batch_size, args, kwargs
                    )
                else:
                    try:
                        kwargs[name] = initial_states[name]
                    except KeyError:
                        raise KeyError(
                            f"no initial state for {name!r} of the brick {brick.name!r}"
                        ) from None
            states_given = dict_subset(kwargs, application.states)

            # A state broadcastable in some dimension (a learned initial state
            # repeated over a batch of one, say) would not match the step's
            # output type.
            for name, state in states_given.items():
                states_given[name] = tensor.unbroadcast(state, *range(state.ndim))

            state_outputs = [
                name for name in application.outputs if name in application.states
            ]

            def scan_function(*args):
                args = list(args)
                names = [*sequences_given, *state_outputs, *contexts_given]
                step_kwargs = dict(zip(names, args, strict=True))
                step_kwargs.update(rest_kwargs)
                outputs = application(iterate=False, **step_kwargs)
                # Keep the step graph, as built, on the outer call.
                application_call.inner_inputs = args
                application_call.inner_outputs = pack(outputs)
                return outputs

            outputs_info = [
                states_given[name] if name in application.states else None
                for name in application.outputs
            ]
            result, updates = scan(
                scan_function,
                sequences=list(sequences_given.values()),
                outputs_info=outputs_info,
                non_sequences=list(contexts_given.values()),
                n_steps=n_steps,
                go_backwards=reverse,
                name=f"{brick.name}_{application.application_name}_scan",
                **scan_kwargs,
            )
            result = pack(result)
            if return_initial_states:
                # Scan drops the initial value by taking a subtensor of its
                # full output; take the full output instead.
                for i, name in enumerate(application.outputs):
                    if name in application.states:
                        owner = result[i].owner
                        if not isinstance(owner.op, tensor.subtensor.Subtensor):
                            raise AssertionError(
                                f"scan output for state {name!r} is not a "
                                f"subtensor of the full output"
                            )
                        result[i] = owner.inputs[0]
            if updates:
                application_call.updates = dict_union(application_call.updates, updates)
            if only_return_final:
                result = [output[-1] for output in result]
            return result

        recurrent_apply.__name__ = application_function.__name__
        recurrent_apply.__qualname__ = application_function.__qualname__
        recurrent_apply.__doc__ = application_function.__doc__
        recurrent_apply.__module__ = application_function.__module__
        return recurrent_apply

    if (args and kwargs) or len(args) > 1 or not (args or kwargs):
        raise ValueError("use @recurrent either bare or with keyword arguments only")
    if args:
        return application(recurrent_wrapper(args[0]))

    def wrap_application(application_function):
        return application(**kwargs)(recurrent_wrapper(application_function))

    return wrap_application
