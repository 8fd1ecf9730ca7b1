"""Training extensions: the callbacks that run around the training loop.

The :class:`.MainLoop` only feeds batches to the algorithm; everything else
(monitoring, printing, saving, stopping) is done by extensions. At every
stage of training the main loop calls the matching callback of each
extension, in the order the extensions were given. Extensions talk to each
other and to the main loop through the log: for example, a
``training_finish_requested`` record stops training.

"""

import datetime
import logging
import math
import sys
from abc import abstractmethod

from blocks.extensions.base import (
    CallbackName,
    Predicate,
    TrainingExtension,
    _callback_name_set,
    always_true,
    callback,
    has_done_epochs,
)

logger = logging.getLogger(__name__)


class _AllHold:
    """A predicate that holds when each of `predicates` holds (picklable)."""

    def __init__(self, predicates):
        self.predicates = list(predicates)

    def __call__(self, log):
        return all(predicate(log) for predicate in self.predicates)


__all__ = [
    "CallbackName",
    "CompositeExtension",
    "FinishAfter",
    "Predicate",
    "Printing",
    "ProgressBar",
    "SimpleExtension",
    "Timestamp",
    "Timing",
    "TrainingExtension",
    "always_true",
    "callback",
    "has_done_epochs",
]


class SimpleExtension(TrainingExtension):
    r"""A base class for simple extensions.

    All the logic of a simple extension is in :meth:`do`, called whenever
    one of its conditions holds. Conditions come from the trigger keywords
    of the constructor and from :meth:`add_condition`, which can also pass
    extra arguments to :meth:`do`.

    Parameters
    ----------
    before_training : bool
        If True, :meth:`do` is invoked before training.
    before_first_epoch : bool
        If True, :meth:`do` is invoked before the first epoch.
    before_epoch : bool
        If True, :meth:`do` is invoked before every epoch.
    before_batch : bool
        If True, :meth:`do` is invoked before every batch.
    after_batch : bool
        If True, :meth:`do` is invoked after every batch.
    after_epoch : bool
        If True, :meth:`do` is invoked after every epoch.
    after_training : bool
        If True, :meth:`do` is invoked after training.
    on_resumption : bool, optional
        If True, :meth:`do` is invoked when training is resumed.
    on_interrupt : bool, optional
        If True, :meth:`do` is invoked when training is interrupted.
    on_error : bool, optional
        If True, :meth:`do` is invoked when an error occurs, with the
        exception as its first argument.
    after_n_epochs : int, optional
        If not None, :meth:`do` is invoked when `after_n_epochs` epochs are
        done.
    every_n_epochs : int, optional
        If not None, :meth:`do` is invoked after every n-th epoch.
    after_n_batches : int, optional
        If not None, :meth:`do` is invoked when `after_n_batches` batches
        are processed.
    every_n_batches : int, optional
        If not None, :meth:`do` is invoked after every n-th batch.
    \*\*kwargs
        Other keywords (``name``) go to :class:`TrainingExtension`.

    """

    BOOLEAN_TRIGGERS = frozenset(
        [
            "before_training",
            "before_first_epoch",
            "before_epoch",
            "before_batch",
            "after_batch",
            "after_epoch",
            "after_training",
            "on_resumption",
            "on_interrupt",
            "on_error",
        ]
    )
    INTEGER_TRIGGERS = frozenset(
        ["after_n_epochs", "after_n_batches", "every_n_epochs", "every_n_batches"]
    )
    # The callback each trigger listens to, where it differs from its name.
    _TRIGGER_CALLBACKS = {
        "before_first_epoch": "before_epoch",
        "after_n_epochs": "after_epoch",
        "every_n_epochs": "after_epoch",
        "after_n_batches": "after_batch",
        "every_n_batches": "after_batch",
    }
    # Callbacks whose first argument comes from the main loop.
    _MAIN_LOOP_ARGUMENTS = frozenset(["before_batch", "after_batch", "on_error"])
    # Whether after_n_epochs/after_n_batches hold for every count >= n.
    _COUNTS_AT_LEAST = False

    def __init__(self, **kwargs):
        self._conditions = []
        triggers = self.BOOLEAN_TRIGGERS | self.INTEGER_TRIGGERS
        conditions = {k: v for k, v in kwargs.items() if k in triggers}
        other_kwargs = {k: v for k, v in kwargs.items() if k not in triggers}
        super().__init__(**other_kwargs)
        self.set_conditions(**conditions)

    def set_conditions(self, **kwargs):
        r"""Replace the conditions under which this extension runs.

        Parameters
        ----------
        \*\*kwargs
            Trigger keywords, as for the constructor.

        Returns
        -------
        The extension, so that calls can be chained.

        """
        self._conditions[:] = []
        self._callbacks_named = None
        for key, value in kwargs.items():
            if key in self.BOOLEAN_TRIGGERS:
                if not value:
                    continue
                predicate = has_done_epochs if key == "before_first_epoch" else None
            elif key in self.INTEGER_TRIGGERS:
                if value is None or value is False:
                    continue
                if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                    raise ValueError(
                        f"{self.name}: {key} must be a positive integer, got {value!r}"
                    )
                predicate = Predicate(key, value, at_least=self._COUNTS_AT_LEAST)
            else:
                raise KeyError(
                    f"{self.name}: unknown trigger {key!r}; the triggers are "
                    f"{sorted(self.BOOLEAN_TRIGGERS | self.INTEGER_TRIGGERS)}"
                )
            self.add_condition(
                [self._TRIGGER_CALLBACKS.get(key, key)], predicate=predicate
            )
        return self

    def add_condition(self, callbacks_names, predicate=None, arguments=None):
        """Add a condition under which :meth:`do` is called.

        Parameters
        ----------
        callbacks_names : list of str
            The callbacks in which to check the condition. The boolean
            trigger ``'before_first_epoch'`` is accepted too, as in Blocks:
            it means ``'before_epoch'`` while no epoch is done.
        predicate : callable, optional
            Takes the main loop's log and returns whether to call
            :meth:`do`. Always true by default.
        arguments : iterable, optional
            Extra arguments for :meth:`do`, after the ones coming from the
            main loop (such as the batch).

        Returns
        -------
        The extension, so that calls can be chained.

        """
        if not isinstance(callbacks_names, (list, tuple)):
            raise ValueError(
                f"{self.name}: callbacks_names must be a list or a tuple, got "
                f"{callbacks_names!r}"
            )
        arguments = tuple(arguments) if arguments else ()
        for name in callbacks_names:
            condition = predicate or always_true
            if name == "before_first_epoch":
                name = "before_epoch"
                condition = (
                    has_done_epochs
                    if predicate is None
                    else _AllHold([has_done_epochs, predicate])
                )
            self._conditions.append((CallbackName(name), condition, arguments))
        return self

    @abstractmethod
    def do(self, which_callback, *args):
        r"""Do the job of the extension.

        Parameters
        ----------
        which_callback : str
            The callback in which :meth:`do` runs.
        \*args : tuple
            The arguments from the main loop followed by those given to
            :meth:`add_condition`.

        Notes
        -----
        Subclasses must accept extra positional arguments, even if they do
        not use them.

        """

    def dispatch(self, callback_invoked, *from_main_loop):
        """Call :meth:`do` once for every condition that holds."""
        # Checked once here, the name compares as a plain string below (the
        # conditions hold checked names): the main loop dispatches every
        # extension twice a batch.
        if callback_invoked not in _callback_name_set():
            CallbackName(callback_invoked)  # raises, naming the callbacks
        same = str.__eq__
        for callback_name, predicate, arguments in self._conditions:
            if same(callback_name, callback_invoked) and predicate(self.main_loop.log):
                self.do(callback_invoked, *(from_main_loop + arguments))

    def _may_act_on(self, callback_name):
        if type(self).dispatch is not SimpleExtension.dispatch:
            return True
        conditions = self._conditions
        # The callbacks named by the conditions, kept with their count (the
        # conditions only grow, or are replaced by set_conditions).
        named = self.__dict__.get("_callbacks_named")
        if named is None or named[0] != len(conditions):
            named = (len(conditions), frozenset(str(c[0]) for c in conditions))
            self._callbacks_named = named
        return callback_name in named[1]

    @staticmethod
    def parse_args(which_callback, args):
        """Split the arguments of :meth:`do` by where they come from.

        Parameters
        ----------
        which_callback : str
            The callback.
        args : iterable
            The arguments.

        Returns
        -------
        from_main_loop : tuple
        from_user : tuple

        """
        args = tuple(args)
        if which_callback in SimpleExtension._MAIN_LOOP_ARGUMENTS:
            return args[:1], args[1:]
        return (), args


class CompositeExtension(SimpleExtension):
    r"""An extension that manages several other extensions.

    Parameters
    ----------
    sub_extensions : iterable
        The extensions to manage. Each is dispatched, in order, on the
        triggers it was configured with.
    run_before_children : bool, optional
        Whether this extension's own :meth:`do` runs before those of its
        sub-extensions (the default) or after them.
    \*\*kwargs
        Triggers for this extension's own :meth:`do`.

    Notes
    -----
    This bundles extensions that are used together and configured to
    interact, such as the ones :class:`.EarlyStopping` combines.

    """

    def __init__(self, sub_extensions, run_before_children=True, **kwargs):
        self.sub_extensions = list(sub_extensions)
        self.run_before_children = run_before_children
        super().__init__(**kwargs)

    def dispatch(self, callback_invoked, *from_main_loop):
        if self.run_before_children:
            super().dispatch(callback_invoked, *from_main_loop)
        for extension in self.sub_extensions:
            extension.dispatch(callback_invoked, *from_main_loop)
        if not self.run_before_children:
            super().dispatch(callback_invoked, *from_main_loop)

    @property
    def main_loop(self):
        return TrainingExtension.main_loop.fget(self)

    @main_loop.setter
    def main_loop(self, value):
        self._main_loop = value
        for extension in self.sub_extensions:
            extension.main_loop = value

    def do(self, which_callback, *args):
        pass


class FinishAfter(SimpleExtension):
    """Finishes training when triggered.

    Its ``after_n_epochs`` and ``after_n_batches`` conditions hold once at
    least that many epochs or batches are done, so a run resumed from a
    checkpoint taken at (or past) the count stops too. When such a run is
    resumed, the main loop asks :meth:`finish_condition` first and does not
    train at all if a condition already holds; to train a finished run
    further, give it a larger count (:meth:`set_conditions`).

    Examples
    --------
    >>> FinishAfter(after_n_epochs=5).name
    'FinishAfter'

    """

    _COUNTS_AT_LEAST = True

    def do(self, which_callback, *args):
        self.main_loop.log.current_row["training_finish_requested"] = True

    def finish_condition(self, log):
        """Whether a counting condition (``after_n_*``) holds for this log.

        Parameters
        ----------
        log : :class:`.TrainingLogBase`

        Returns
        -------
        bool or None
            None when the extension has no counting condition.

        """
        counts = [
            predicate
            for _, predicate, _ in self._conditions
            if isinstance(predicate, Predicate)
            and predicate.condition.startswith("after_n")
        ]
        if not counts:
            return None
        return any(predicate(log) for predicate in counts)


class Printing(SimpleExtension):
    """Prints the training status and the current log records.

    By default it prints before the first epoch, after every epoch, after
    training and when training is resumed or interrupted.

    """

    main_worker_only = True

    def __init__(self, **kwargs):
        for trigger in (
            "before_first_epoch",
            "on_resumption",
            "after_training",
            "after_epoch",
            "on_interrupt",
        ):
            kwargs.setdefault(trigger, True)
        super().__init__(**kwargs)

    @staticmethod
    def _attribute_lines(attributes):
        return [
            f"\t {name}: {attributes[name]}"
            for name in sorted(attributes)
            if not name.startswith("_")
        ]

    def do(self, which_callback, *args):
        log = self.main_loop.log
        headers = {
            "on_resumption": "TRAINING HAS BEEN RESUMED",
            "after_training": "TRAINING HAS BEEN FINISHED:",
            "after_epoch": "AFTER ANOTHER EPOCH",
            "on_interrupt": "TRAINING HAS BEEN INTERRUPTED",
        }
        if which_callback == "before_epoch" and log.status["epochs_done"] == 0:
            header = "BEFORE FIRST EPOCH"
        else:
            header = headers.get(which_callback, which_callback.upper())
        lines = ["", "-" * 79, header, "-" * 79, "Training status:"]
        lines += self._attribute_lines(dict(log.status))
        lines.append(f"Log records from the iteration {log.status['iterations_done']}:")
        lines += self._attribute_lines(dict(log.current_row))
        lines.append("")
        # Printing to standard output is this extension's whole purpose.
        print("\n".join(lines))  # noqa: T201


def _iteration_scheme(data_stream):
    """The iteration scheme of a stream, looking through transformers."""
    while data_stream is not None:
        scheme = getattr(data_stream, "iteration_scheme", None)
        if scheme is not None:
            return scheme
        data_stream = getattr(data_stream, "data_stream", None)
    return None


class _CurrentStderr:
    """Whatever ``sys.stderr`` is at the time of each write.

    progressbar2 swaps ``sys.stderr`` for the stream it saw at import time,
    which ignores later redirections (pytest's capture, doctests, notebooks).

    """

    def __getattr__(self, name):
        return getattr(sys.stderr, name)


class ProgressBar(TrainingExtension):
    """Displays a progress bar for every epoch (with ``progressbar2``).

    The number of iterations per epoch is read from the iteration scheme:
    its ``num_batches``, or its ``num_examples`` and ``batch_size``. When
    the scheme does not tell, the bar counts steps without an ETA.

    Notes
    -----
    Put this extension before the ones that print at the start or the end
    of an epoch (such as :class:`Printing`), so that their output does not
    mix with the bar.

    """

    main_worker_only = True

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.bar = None
        self.iter_count = 0

    def __getstate__(self):
        # The bar holds a file handle and is redrawn after loading anyway.
        state = dict(self.__dict__)
        state["bar"] = None
        return state

    def get_iter_per_epoch(self):
        """The number of iterations per epoch, or None if unknown."""
        scheme = _iteration_scheme(self.main_loop.data_stream)
        if scheme is None:
            return None
        batch_size = getattr(scheme, "batch_size", None)
        indices = getattr(scheme, "indices", None)
        if indices is not None:
            # A list of indices: one request per index, or per batch of them.
            if batch_size:
                return math.ceil(len(indices) / batch_size)
            return len(indices)
        num_batches = getattr(scheme, "num_batches", None)
        if num_batches is not None:
            return int(num_batches)
        num_examples = getattr(scheme, "num_examples", None)
        if num_examples is None:
            return None
        if batch_size:
            return math.ceil(num_examples / batch_size)
        return int(num_examples)

    def create_bar(self):
        """Create a progress bar for the current epoch.

        Returns
        -------
        :class:`progressbar.ProgressBar`
            With a percentage and an ETA when the number of iterations per
            epoch is known.

        """
        import progressbar

        iter_per_epoch = self.get_iter_per_epoch()
        epochs_done = self.main_loop.log.status["epochs_done"]
        label = f"Epoch {epochs_done}, step "
        if iter_per_epoch is None:
            widgets = [label, progressbar.Counter(), " ", progressbar.BouncingBar()]
            widgets += [" ", progressbar.Timer()]
            max_value = progressbar.UnknownLength
        else:
            widgets = [label, progressbar.Counter(), " (", progressbar.Percentage()]
            widgets += [") ", progressbar.Bar(), " ", progressbar.Timer()]
            widgets += [" ", progressbar.ETA()]
            max_value = iter_per_epoch
        return progressbar.ProgressBar(
            widgets=widgets, max_value=max_value, fd=_CurrentStderr()
        )

    def before_epoch(self):
        self.iter_count = 0

    def before_batch(self, batch):
        if self.bar is None:
            self.bar = self.create_bar()
            self.bar.start()
        self.iter_count += 1
        max_value = self.bar.max_value
        if isinstance(max_value, int) and self.iter_count > max_value:
            # The scheme announced fewer batches than the stream gives.
            self.bar.max_value = self.iter_count
        self.bar.update(self.iter_count)

    def after_epoch(self):
        if self.bar is None:
            return
        self.bar.finish()
        self.bar = None

    def on_interrupt(self):
        self.after_epoch()


class Timing(SimpleExtension):
    """Adds timing information to the log.

    It records ``time_initialization`` (compiling the algorithm) before the
    first epoch and, when triggered after a batch or an epoch, the time
    spent reading data and in the algorithm's ``process_batch``:
    ``<prefix>time_{read_data,train}_this_{batch,epoch}`` (averaged over
    the batches or epochs since the last record) and
    ``<prefix>time_{read_data,train}_total``.

    Parameters
    ----------
    prefix : str, optional
        Prepended to the record names. Empty by default.

    Notes
    -----
    Put it before :class:`Printing`. For a full profile of the main loop,
    set the ``profile`` setting (``BLOCKS_PROFILE=true``).

    """

    def __init__(self, prefix="", **kwargs):
        kwargs.setdefault("before_first_epoch", True)
        kwargs.setdefault("after_epoch", True)
        super().__init__(**kwargs)
        self.prefix = prefix
        levels = ("batch", "epoch")
        self.current = {level: {"train": 0, "read_data": 0} for level in levels}
        self.previous_index = dict.fromkeys(levels, 0)

    def do(self, which_callback, *args):
        log = self.main_loop.log
        profile = self.main_loop.profile.total
        if which_callback == "before_epoch":
            log.current_row["time_initialization"] = profile[("initialization",)]
            return
        if which_callback == "after_epoch":
            level, counter = "epoch", "epochs_done"
        elif which_callback == "after_batch":
            level, counter = "batch", "iterations_done"
        else:
            raise ValueError(
                f"{self.name} runs before the first epoch or after a batch or "
                f"an epoch, not on {which_callback}"
            )
        count = max(log.status[counter] - self.previous_index[level], 1)
        for action in ("train", "read_data"):
            total = profile[("training", "epoch", action)]
            spent = total - self.current[level][action]
            self.current[level][action] = total
            log.current_row[f"{self.prefix}time_{action}_this_{level}"] = spent / count
            log.current_row[f"{self.prefix}time_{action}_total"] = total
        self.previous_index[level] = log.status[counter]


class Timestamp(SimpleExtension):
    """Adds a human-readable (ISO 8601) timestamp to the log.

    By default it runs before and after training, after every epoch, and
    on errors, interrupts and resumption; pass False for a trigger to turn
    it off.

    Parameters
    ----------
    log_record : str, optional
        The record name. Defaults to ``'timestamp'``.
    separator : str, optional
        Between the date and the time. ISO 8601 says ``'T'``; the default,
        ``' '``, is easier to read.

    """

    DEFAULT_LOG_RECORD = "timestamp"

    def __init__(self, log_record=DEFAULT_LOG_RECORD, separator=" ", **kwargs):
        self.log_record = log_record
        self.separator = separator
        for trigger in (
            "before_training",
            "after_epoch",
            "on_error",
            "on_interrupt",
            "on_resumption",
            "after_training",
        ):
            kwargs.setdefault(trigger, True)
        super().__init__(**kwargs)

    def do(self, *args):
        self.main_loop.log.current_row[self.log_record] = self.get_timestamp()

    def get_timestamp(self):
        """The current local time in ISO 8601 format."""
        return datetime.datetime.now().isoformat(self.separator)
