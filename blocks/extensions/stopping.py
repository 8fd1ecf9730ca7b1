"""Extensions that stop training when it stops improving."""

import logging

import numpy

from blocks.extensions import CompositeExtension, SimpleExtension
from blocks.extensions.predicates import OnLogRecord
from blocks.extensions.training import TrackTheBest
from blocks.main_loop import NONFINITE_COST_RECORD

logger = logging.getLogger(__name__)


class FinishIfNoImprovementAfter(SimpleExtension):
    """Stops training when a notification has not come for a while.

    The notification is a log record, typically written by
    :class:`.TrackTheBest` when a monitored value improves. After each
    check the remaining patience is logged. Nothing happens before the
    first notification.

    Parameters
    ----------
    notification_name : str
        The record that signals an improvement.
    iterations : int, optional
        How many iterations to wait for the next notification.
    epochs : int, optional
        How many epochs to wait. Exactly one of `iterations` and `epochs`
        must be given.
    patience_log_record : str, optional
        The record for the remaining patience. Defaults to
        ``<notification_name>_patience_epochs`` (or ``_iterations``).

    Notes
    -----
    As in Blocks, it runs after every batch and after every epoch by
    default, whichever the patience counts: a notification written after
    an epoch (where :class:`.TrackTheBest` writes by default) lands in the
    row of the epoch's last batch, which the next ``after_batch`` no longer
    sees.

    """

    def __init__(
        self,
        notification_name,
        iterations=None,
        epochs=None,
        patience_log_record=None,
        **kwargs,
    ):
        if (epochs is None) == (iterations is None):
            raise ValueError(
                "FinishIfNoImprovementAfter needs exactly one of iterations and "
                f"epochs, got iterations={iterations!r} and epochs={epochs!r}"
            )
        self.notification_name = notification_name
        self.iterations = iterations
        self.epochs = epochs
        kwargs.setdefault("after_batch", True)
        kwargs.setdefault("after_epoch", True)
        unit = "epochs" if epochs is not None else "iterations"
        self.patience_log_record = (
            patience_log_record or f"{notification_name}_patience_{unit}"
        )
        self.last_best_iter = None
        self.last_best_epoch = None
        super().__init__(**kwargs)

    def update_best(self):
        """Remember when the notification was last seen."""
        if self.main_loop.log.current_row.get(self.notification_name, False):
            self.last_best_iter = self.main_loop.log.status["iterations_done"]
            self.last_best_epoch = self.main_loop.log.status["epochs_done"]

    def do(self, which_callback, *args):
        self.update_best()
        if self.last_best_iter is None:
            return
        status = self.main_loop.log.status
        if self.epochs is not None:
            patience = self.epochs - (status["epochs_done"] - self.last_best_epoch)
        else:
            patience = self.iterations - (
                status["iterations_done"] - self.last_best_iter
            )
        if patience <= 0:
            logger.info(
                f"{self.name}: no {self.notification_name} for "
                f"{self.epochs or self.iterations} "
                f"{'epochs' if self.epochs is not None else 'iterations'}; "
                f"finishing training"
            )
            self.main_loop.log.current_row["training_finish_requested"] = True
        self.main_loop.log.current_row[self.patience_log_record] = patience


FinishIfNoImprovement = FinishIfNoImprovementAfter


class EarlyStopping(CompositeExtension):
    r"""Tracks the best value of a record and stops when it stops improving.

    Combines :class:`.TrackTheBest` and :class:`FinishIfNoImprovementAfter`,
    and optionally saves a checkpoint whenever the record improves.

    Parameters
    ----------
    record_name : str
        The record to track.
    checkpoint_extension : :class:`.Checkpoint`, optional
        Called, with `checkpoint_filename` as its path, whenever the record
        reaches a new best value (after a batch or an epoch, as in Blocks),
        in addition to its own conditions.
    checkpoint_filename : str, optional
        Where to save the best model; the checkpoint's own path if not
        given.
    notification_name : str, optional
        Defaults to ``<record_name>_best_so_far``.
    choose_best : callable, optional
        Defaults to :func:`min`.
    iterations : int, optional
        The patience in iterations.
    epochs : int, optional
        The patience in epochs. Exactly one of the two must be given.
    \*\*kwargs
        Triggers, passed to the tracking and stopping extensions.

    """

    def __init__(
        self,
        record_name,
        checkpoint_extension=None,
        checkpoint_filename=None,
        notification_name=None,
        choose_best=min,
        iterations=None,
        epochs=None,
        **kwargs,
    ):
        notification_name = notification_name or f"{record_name}_best_so_far"
        kwargs.setdefault("after_epoch", True)
        tracking = TrackTheBest(
            record_name, notification_name, choose_best=choose_best, **kwargs
        )
        stopping = FinishIfNoImprovementAfter(
            notification_name, iterations=iterations, epochs=epochs, **kwargs
        )
        sub_extensions = [tracking, stopping]
        if checkpoint_extension is not None:
            arguments = () if checkpoint_filename is None else (checkpoint_filename,)
            checkpoint_extension.add_condition(
                ["after_batch", "after_epoch"],
                OnLogRecord(notification_name),
                arguments,
            )
            sub_extensions.append(checkpoint_extension)
        super().__init__(sub_extensions, **kwargs)


class FinishIfNotFinite(SimpleExtension):
    r"""Stops training when the cost, or a chosen record, is NaN or infinite.

    The main loop writes the ``cost_not_finite`` record (the cost's value)
    after every batch whose cost, as computed by :class:`.GradientDescent`,
    is NaN or infinite, and warns the first time. Without this extension
    training goes on; with it, training finishes at that batch, so that the
    last checkpoint still holds finite parameters. Records written by
    monitoring extensions (``'train_cost'``, say) can be checked too.

    Parameters
    ----------
    record_names : list of str, optional
        More records of the current log row to check; a record that is
        absent from the row is not checked.
    \*\*kwargs
        Triggers and ``name``. By default it runs after every batch and
        every epoch.

    Examples
    --------
    >>> from blocks.extensions.stopping import FinishIfNotFinite
    >>> FinishIfNotFinite(['train_cost']).record_names
    ['cost_not_finite', 'train_cost']

    """

    def __init__(self, record_names=(), **kwargs):
        kwargs.setdefault("after_batch", True)
        kwargs.setdefault("after_epoch", True)
        super().__init__(**kwargs)
        self.record_names = [NONFINITE_COST_RECORD, *record_names]

    def do(self, which_callback, *args):
        row = self.main_loop.log.current_row
        for name in self.record_names:
            value = row.get(name)
            if value is None or isinstance(value, (str, bytes)):
                continue
            try:
                finite = bool(numpy.isfinite(value).all())
            except TypeError:
                continue
            if not finite:
                logger.warning(
                    f"{self.name}: {name} is {value} after "
                    f"{self.main_loop.status['iterations_done']} iterations; "
                    f"finishing training"
                )
                row["training_finish_requested"] = True
                return
