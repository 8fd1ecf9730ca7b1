"""The extension protocol: callbacks, their names, and trigger predicates."""

import functools
import logging

logger = logging.getLogger(__name__)


def callback(func):
    """Mark a method of :class:`TrainingExtension` as a callback."""
    func._is_callback = True
    return func


@functools.cache
def _callback_name_set():
    # Read once: the callbacks are those TrainingExtension defines, and the
    # main loop compares names on every batch.
    return frozenset(
        name
        for name, value in vars(TrainingExtension).items()
        if getattr(value, "_is_callback", False)
    )


def _callback_names():
    return sorted(_callback_name_set())


class CallbackName(str):
    """The name of a :class:`TrainingExtension` callback.

    Raises
    ------
    TypeError
        When created from, or compared with, a string that names no
        callback, so that a misspelt name fails loudly instead of never
        matching.

    """

    def __new__(cls, name):
        if name not in _callback_name_set():
            raise TypeError(
                f"{name!r} is not a training extension callback; the "
                f"callbacks are {_callback_names()}"
            )
        return super().__new__(cls, name)

    def __eq__(self, other):
        if other not in _callback_name_set():
            raise TypeError(
                f"{other!r} is not a training extension callback; the "
                f"callbacks are {_callback_names()}"
            )
        return str.__eq__(self, other)

    __hash__ = str.__hash__


class TrainingExtension:
    """The base class for training extensions.

    An extension is a set of callbacks sharing a context, invoked by the
    main loop at stages of training. They typically add a feature to
    training, such as validation on other data or early stopping.

    Parameters
    ----------
    name : str, optional
        Tells apart several extensions of the same type in one main loop.
        Defaults to the name of the class.

    Attributes
    ----------
    main_loop : :class:`.MainLoop`
        The main loop the extension belongs to.
    name : str
        The name of the extension.
    main_worker_only : bool
        A class attribute: whether, in a data-parallel run (see
        :mod:`blocks.distributed`), only worker 0 runs the extension. True
        for the extensions that write (checkpoints, printing, the progress
        bar); the others run on every worker, in step.

    """

    main_worker_only = False

    def __init__(self, name=None):
        self.name = name or type(self).__name__

    @property
    def main_loop(self):
        if not hasattr(self, "_main_loop"):
            raise ValueError(
                f"the extension {self.name} has no main loop yet: give it to "
                f"a MainLoop, or assign its main_loop attribute"
            )
        return self._main_loop

    @main_loop.setter
    def main_loop(self, value):
        self._main_loop = value

    def dispatch(self, callback_name, *args):
        """Run the callback with the given name.

        Subclasses override it to intercept callbacks, for example to run
        them only under some condition.

        """
        getattr(self, str(callback_name))(*args)

    def _may_act_on(self, callback_name):
        """False only when dispatching ``callback_name`` surely does nothing.

        The main loop then skips the dispatch: it runs twice a batch for
        every extension.
        """
        return True

    @callback
    def on_resumption(self):
        """The callback invoked after training is resumed."""

    @callback
    def on_error(self, exception):
        """The callback invoked when an error occurs.

        Parameters
        ----------
        exception : Exception
            The error raised while the main loop was running.

        """

    @callback
    def before_training(self):
        """The callback invoked before training starts."""

    @callback
    def before_epoch(self):
        """The callback invoked before an epoch starts."""

    @callback
    def before_batch(self, batch):
        """The callback invoked before a batch is processed.

        Parameters
        ----------
        batch : object
            The batch about to be processed.

        """

    @callback
    def after_batch(self, batch):
        """The callback invoked after a batch is processed.

        Parameters
        ----------
        batch : object
            The batch just processed.

        """

    @callback
    def after_epoch(self):
        """The callback invoked after an epoch ends."""

    @callback
    def after_training(self):
        """The callback invoked after training ends."""

    @callback
    def on_interrupt(self):
        """The callback invoked when training is interrupted by a signal."""


class Predicate:
    """Whether a number of epochs or batches triggers an extension.

    Parameters
    ----------
    condition : str
        One of ``after_n_epochs``, ``every_n_epochs``, ``after_n_batches``
        and ``every_n_batches``.
    num : int
        The number of epochs or batches.
    at_least : bool, optional
        Whether ``after_n_*`` holds once *at least* `num` epochs or batches
        are done, rather than only when exactly `num` are. Stopping
        conditions need this, so that a run resumed past `num` stops too.
        False by default.

    """

    def __init__(self, condition, num, at_least=False):
        self.condition = condition
        self.num = num
        self.at_least = at_least

    def __call__(self, log):
        if self.condition.endswith("epochs"):
            done = log.status["epochs_done"]
        else:
            done = log.status["iterations_done"]
        if self.condition.startswith("every"):
            return done % self.num == 0
        if getattr(self, "at_least", False):
            return done >= self.num
        return done == self.num


def has_done_epochs(log):
    """True before the first epoch ends (the name is historical)."""
    return log.status["epochs_done"] == 0


def always_true(log):
    """A predicate that always holds."""
    return True
