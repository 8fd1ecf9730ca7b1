"""Extensions that act on training itself: hyperparameters, best values."""

import inspect
import logging

import numpy

from blocks.extensions import SimpleExtension

logger = logging.getLogger(__name__)


def _is_nan(value):
    try:
        return bool(numpy.ndim(value) == 0 and numpy.isnan(value))
    except TypeError:
        return False


class SharedVariableModifier(SimpleExtension):
    """Sets a shared variable to a function of the iterations done.

    Use it to schedule hyperparameters such as a learning rate or a
    momentum. By default it runs after every batch.

    Parameters
    ----------
    parameter : :class:`~tensor.TensorSharedVariable`
        The shared variable to set.
    function : callable
        Returns the new value. It takes either the number of iterations
        done, or the number of iterations done and the current value of
        `parameter`.
    num_args : int, optional
        The number of arguments `function` takes (1 or 2). By default it is
        read from the signature of `function`; pass it for callables whose
        signature cannot be inspected.

    Notes
    -----
    Subclasses may override :meth:`function` and :attr:`num_args`, and pass
    None as `function`.

    """

    def __init__(self, parameter, function, num_args=None, **kwargs):
        kwargs.setdefault("after_batch", True)
        super().__init__(**kwargs)
        self.parameter = parameter
        self._function = function
        self._num_args = num_args

    @property
    def num_args(self):
        """The number of arguments :meth:`function` takes."""
        if self._num_args is None:
            signature = inspect.signature(self._function)
            positional = [
                p
                for p in signature.parameters.values()
                if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
            ]
            self._num_args = len(positional)
            if self._num_args not in (1, 2):
                raise ValueError(
                    f"{self.name}: the function {self._function!r} takes "
                    f"{self._num_args} positional arguments; it must take the "
                    f"number of iterations done and, optionally, the current "
                    f"value. Pass num_args if its signature is misleading"
                )
        return self._num_args

    def function(self, *args):
        """Compute the new value of the shared variable."""
        return self._function(*args)

    def do(self, which_callback, *args):
        iterations_done = self.main_loop.log.status["iterations_done"]
        if self.num_args == 1:
            new_value = self.function(iterations_done)
        else:
            new_value = self.function(iterations_done, self.parameter.get_value())
        self.parameter.set_value(numpy.asarray(new_value, dtype=self.parameter.dtype))


class TrackTheBest(SimpleExtension):
    """Notes when a log record reaches its best value so far.

    The best value is kept in the status as ``best_<record_name>``, and the
    rows where the record improves get a `notification_name` record set to
    True. By default it runs after every epoch. NaN values never count as
    an improvement.

    Parameters
    ----------
    record_name : str
        The record to track.
    notification_name : str, optional
        The record written when the value is the best so far. Defaults to
        ``<record_name>_best_so_far``.
    choose_best : callable, optional
        Takes two values and returns the better one. Defaults to
        :func:`min`; use :func:`max` for accuracies.

    Attributes
    ----------
    best_name : str
        The status key holding the best value so far.
    notification_name : str

    Notes
    -----
    Place it after the extension that writes the record (such as a
    :class:`.DataStreamMonitoring`) in the list of extensions.

    """

    def __init__(self, record_name, notification_name=None, choose_best=min, **kwargs):
        self.record_name = record_name
        self.notification_name = notification_name or f"{record_name}_best_so_far"
        self.best_name = f"best_{record_name}"
        self.choose_best = choose_best
        kwargs.setdefault("after_epoch", True)
        super().__init__(**kwargs)

    def do(self, which_callback, *args):
        current_value = self.main_loop.log.current_row.get(self.record_name)
        if current_value is None:
            return
        if _is_nan(current_value):
            logger.warning(f"{self.name}: {self.record_name} is NaN")
            return
        best_value = self.main_loop.status.get(self.best_name)
        if best_value is None or (
            current_value != best_value
            and self.choose_best(current_value, best_value) == current_value
        ):
            logger.debug(
                f"{self.name}: new best {self.record_name} = {current_value} at "
                f"iteration {self.main_loop.status['iterations_done']}"
            )
            self.main_loop.status[self.best_name] = current_value
            self.main_loop.log.current_row[self.notification_name] = True
