"""The main loop: feeds batches to the algorithm and runs the extensions."""

import logging
import signal
import sys
import threading
import timeit
import traceback

from blocks import distributed
from blocks.config import config
from blocks.log import BACKENDS
from blocks.utils import change_recursion_limit
from blocks.utils.profile import Profile, Timer

logger = logging.getLogger(__name__)

error_message = """

Blocks will attempt to run `on_error` extensions, potentially saving data,
before exiting and reraising the error. Note that the usual `after_training`
extensions will *not* be run. The original error will be re-raised and also
stored in the training log. Press CTRL + C to halt Blocks immediately."""

no_model_message = """

One of the extensions probably needs the main loop to have a model: pass
`model` to the MainLoop (a blocks.model.Model of the cost, for instance), or
read the documentation of your extensions."""

error_in_error_handling_message = """

Blocks will now exit. The remaining `on_error` extensions will not be run."""

epoch_interrupt_message = """

Blocks will complete this epoch of training and run extensions before
exiting. If you do not want to complete this epoch, press CTRL + C again to
stop training after the current batch."""

batch_interrupt_message = """

Blocks will complete the current batch and run extensions before exiting. If
you do not want to complete this batch, press CTRL + C one more time to halt
Blocks immediately."""


NONFINITE_COST_RECORD = "cost_not_finite"


class TrainingFinish(Exception):
    """Raised inside the main loop when training is to finish."""


def _all_extensions(extensions):
    """The extensions and, recursively, the sub-extensions of composites."""
    for extension in extensions:
        yield extension
        yield from _all_extensions(getattr(extension, "sub_extensions", ()))


def _finished_in(row):
    """Whether a log row says training finished, other than by a signal."""
    finished = row.get("training_finished", False) or row.get(
        "training_finish_requested", False
    )
    interrupted = row.get("epoch_interrupt_received", False) or row.get(
        "batch_interrupt_received", False
    )
    return bool(finished) and not interrupted


class MainLoop:
    """The standard main loop of Blocks.

    The main loop trains a model by feeding the batches of a data stream to
    a training algorithm, and records everything in a log. It does little
    itself: at every stage of training it calls the matching callback of
    every extension, and the extensions do the rest. They communicate with
    each other and with the main loop through the log; for instance, an
    extension stops training by writing ``training_finish_requested=True``
    into the current row, which the main loop checks after every batch and
    every epoch.

    The main loop handles SIGINT (CTRL + C) and SIGTERM. A first SIGINT
    lets the current epoch finish; a second one, or a SIGTERM, lets the
    current batch finish. Either way the ``on_interrupt`` extensions run,
    then training finishes cleanly (``after_training`` runs too).

    A main loop loaded from a checkpoint resumes where it was saved. If its
    training had finished (or a stopping condition, such as the count of a
    :class:`.FinishAfter`, already holds) it says so and returns at once,
    unless its stopping conditions were changed to allow more training.
    After every batch whose cost (as :class:`.GradientDescent` computes it)
    is NaN or infinite, the ``cost_not_finite`` record gets its value, and
    the first time a warning is logged;
    :class:`~blocks.extensions.stopping.FinishIfNotFinite` stops on it.

    Parameters
    ----------
    algorithm : :class:`.TrainingAlgorithm`
        The training algorithm.
    data_stream : :class:`fuel.streams.AbstractDataStream`
        The training data.
    model : :class:`.Model`, optional
        The model being trained, for the extensions that need it (e.g.
        :class:`.Checkpoint` saves its parameters separately).
    log : :class:`.TrainingLogBase`, optional
        The log; a new one is created by default.
    log_backend : str, optional
        The backend of the new log, ``'python'`` or ``'sqlite'``. Defaults
        to the ``log_backend`` setting. Ignored if `log` is given.
    extensions : list of :class:`.TrainingExtension`, optional
        The extensions, called in this order.

    Notes
    -----
    Started by an MPI launcher (``mpirun -n N python train.py``), the main
    loop of each worker runs in step with the others (see
    :mod:`blocks.distributed` and :class:`.DataParallel`): the extensions
    marked ``main_worker_only`` (checkpoints, printing, the progress bar)
    run on worker 0 only, the other workers log warnings and errors only,
    and an error on any worker ends every worker of the run.

    """

    def __init__(
        self,
        algorithm,
        data_stream,
        model=None,
        log=None,
        log_backend=None,
        extensions=None,
    ):
        if log is None:
            if log_backend is None:
                log_backend = config.log_backend
            if log_backend not in BACKENDS:
                raise ValueError(
                    f"unknown log backend {log_backend!r}; the backends are "
                    f"{sorted(BACKENDS)}"
                )
            log = BACKENDS[log_backend]()
        self.data_stream = data_stream
        self.algorithm = algorithm
        self.log = log
        self.extensions = list(extensions) if extensions is not None else []
        self.profile = Profile()
        self._model = model
        self._interrupt = None
        self.status["training_started"] = False
        self.status["epoch_started"] = False
        self.status["epoch_interrupt_received"] = False
        self.status["batch_interrupt_received"] = False
        if model is not None and hasattr(model, "check_sanity"):
            model.check_sanity(algorithm)

    def __getstate__(self):
        state = dict(self.__dict__)
        state.pop("original_sigint_handler", None)
        state.pop("original_sigterm_handler", None)
        state.pop("_sections_listed", None)
        return state

    @property
    def model(self):
        """The model given to the main loop."""
        if self._model is None:
            raise AttributeError(
                "no model was given to this main loop" + no_model_message
            )
        return self._model

    @property
    def iteration_state(self):
        """The data stream and the current epoch iterator, as a pair."""
        return self.data_stream, getattr(self, "epoch_iterator", None)

    @iteration_state.setter
    def iteration_state(self, value):
        self.data_stream, self.epoch_iterator = value

    @property
    def status(self):
        """The status of the log (``self.log.status``)."""
        return self.log.status

    def find_extension(self, name):
        """Return the extension with the given name.

        Parameters
        ----------
        name : str

        Raises
        ------
        ValueError
            When no extension or several extensions have this name.

        """
        found = [e for e in self.extensions if e.name == name]
        if len(found) != 1:
            raise ValueError(
                f"expected one extension named {name!r}, found {len(found)}; "
                f"the extensions are {[e.name for e in self.extensions]}"
            )
        return found[0]

    def run(self):
        """Train until an extension requests the end, or a signal arrives.

        Raises
        ------
        Exception
            Any error raised during training, after the ``on_error``
            extensions have run; it is also recorded in the log as
            ``got_exception``.

        """
        world = distributed.world()
        if world is not None and world.rank != 0:
            logging.getLogger("blocks").setLevel(logging.WARNING)
        if world is not None and not hasattr(self.algorithm, "example_counts"):
            logger.warning(
                f"{world.size} MPI workers run this main loop, but the "
                f"algorithm {type(self.algorithm).__name__} trains each on its "
                f"own: wrap it in DataParallel or ParameterAveraging"
            )
        with change_recursion_limit(config.recursion_limit):
            self._install_signal_handlers()
            try:
                for extension in self.extensions:
                    extension.main_loop = self
                if not self.status["training_started"]:
                    self._run_extensions("before_training")
                    with Timer("initialization", self.profile):
                        self.algorithm.initialize()
                    self.status["training_started"] = True
                # Not an "else": a before_training extension (Load) may have
                # restored a log with iterations done.
                if self.log.status["iterations_done"] > 0:
                    if self._resume():
                        return
                with Timer("training", self.profile):
                    while self._run_epoch():
                        pass
            except TrainingFinish:
                self.log.current_row["training_finished"] = True
            except Exception as error:
                self._restore_signal_handlers()
                self.log.current_row["got_exception"] = traceback.format_exc()
                logger.error("Error occurred during training." + error_message)
                try:
                    self._run_extensions("on_error", error)
                except Exception:
                    logger.error(traceback.format_exc())
                    logger.error(
                        "Error occurred when running extensions."
                        + error_in_error_handling_message
                    )
                if world is not None:
                    # The other workers would wait for this one in their
                    # next collective: end them all.
                    world.abort(error)
                raise
            finally:
                self._restore_signal_handlers()
            if self.log.current_row.get("training_finished", False):
                try:
                    self._run_extensions("after_training")
                except Exception as error:
                    if world is not None:
                        world.abort(error)
                    raise
            if config.profile:
                self.profile.report(sys.stderr)

    def _resume(self):
        """Continue the log; True when training had finished already."""
        had_finished = _finished_in(self.log.current_row)
        self.log.resume()
        self._interrupt = None
        self.status["epoch_interrupt_received"] = False
        self.status["batch_interrupt_received"] = False
        self._run_extensions("on_resumption")
        verdicts = [
            verdict
            for verdict in (
                extension.finish_condition(self.log)
                for extension in _all_extensions(self.extensions)
                if hasattr(extension, "finish_condition")
            )
            if verdict is not None
        ]
        # A finished run goes on only if its stopping conditions were
        # changed to allow more (a larger FinishAfter count, say).
        if any(verdicts) or (had_finished and not verdicts):
            logger.warning(
                f"Training had already finished ({self.status['epochs_done']} "
                f"epochs, {self.status['iterations_done']} iterations done): "
                f"not training further. To train more, give the main loop "
                f"stopping conditions that allow it, such as a FinishAfter "
                f"with a larger count (blocks-continue --finish-after-epochs N)."
            )
            self.log.current_row["training_already_finished"] = True
            return True
        return False

    def _run_epoch(self):
        if not self.status.get("epoch_started", False):
            self.status["received_first_batch"] = False
            try:
                self.epoch_iterator = self.data_stream.get_epoch_iterator(as_dict=True)
            except StopIteration:
                return False
            self.status["epoch_started"] = True
            self._run_extensions("before_epoch")
        with Timer("epoch", self.profile):
            while self._run_iteration():
                pass
        self.status["epoch_started"] = False
        self.status["epochs_done"] += 1
        # Some log backends keep no reference to a stored list, so the list
        # is replaced rather than appended to.
        self.status["_epoch_ends"] = [
            *self.status["_epoch_ends"],
            self.status["iterations_done"],
        ]
        self._run_extensions("after_epoch")
        self._check_finish_training("epoch")
        return True

    def _run_iteration(self):
        # The profile's sections, entered and left inline (as Timer does):
        # this runs every batch.
        profile, clock = self.profile, timeit.default_timer
        profile.current.append("read_data")
        start = clock()
        try:
            batch = next(self.epoch_iterator)
        except StopIteration:
            if not self.status["received_first_batch"]:
                raise ValueError(
                    f"the epoch iterator of the data stream "
                    f"{type(self.data_stream).__name__} yielded no batch"
                ) from None
            return False
        finally:
            profile.exit(clock() - start)
        self.status["received_first_batch"] = True
        self._run_extensions("before_batch", batch)
        profile.current.append("train")
        start = clock()
        try:
            self.algorithm.process_batch(batch)
        finally:
            profile.exit(clock() - start)
        self.status["iterations_done"] += 1
        self._record_nonfinite_cost()
        self._run_extensions("after_batch", batch)
        self._check_finish_training("batch")
        return True

    def _record_nonfinite_cost(self):
        value = getattr(self.algorithm, "nonfinite_cost", None)
        if value is None:
            return
        self.log.current_row[NONFINITE_COST_RECORD] = value
        if not self.status.get("_warned_nonfinite_cost", False):
            self.status["_warned_nonfinite_cost"] = True
            logger.warning(
                f"The cost is {value} after {self.status['iterations_done']} "
                f"iterations; the parameters are likely {value} from now on. "
                f"Each such iteration gets a {NONFINITE_COST_RECORD!r} log "
                f"record (this warning is given once); add the extension "
                f"blocks.extensions.stopping.FinishIfNotFinite to stop training "
                f"on it."
            )

    def _run_extensions(self, method_name, *args):
        other_worker = distributed.rank() != 0
        # The profile's sections, entered and left inline (what Profile.enter
        # and exit do, with the callback's key built once): this runs twice
        # a batch for every extension.
        profile, clock = self.profile, timeit.default_timer
        current, total = profile.current, profile.total
        current.append(method_name)
        section = tuple(current)
        extensions = self.extensions
        started = clock()
        try:
            listed = self.__dict__.get("_sections_listed")
            if listed is None:
                listed = self._sections_listed = set()
            if (section, len(extensions)) not in listed:
                # Every extension's section shows in the profile, also of
                # those that do not act on this callback (listed once).
                for extension in extensions:
                    total[(*section, type(extension).__name__)] += 0.0
                listed.add((section, len(extensions)))
            for extension in extensions:
                if other_worker and extension.main_worker_only:
                    continue
                if not extension._may_act_on(method_name):
                    continue
                name = type(extension).__name__
                current.append(name)
                start = clock()
                try:
                    extension.dispatch(method_name, *args)
                finally:
                    total[(*section, name)] += clock() - start
                    current.pop()
        finally:
            total[section] += clock() - started
            current.pop()

    def _check_finish_training(self, level):
        if self._interrupt is not None:
            self._record_interrupt()
        if self.log.current_row.get("training_finish_requested", False):
            raise TrainingFinish
        if self.status["batch_interrupt_received"] or (
            level == "epoch" and self.status["epoch_interrupt_received"]
        ):
            self._run_extensions("on_interrupt")
            raise TrainingFinish

    def _record_interrupt(self):
        key = f"{self._interrupt}_interrupt_received"
        self._interrupt = None
        self.log.current_row[key] = True
        self.status[key] = True

    def _install_signal_handlers(self):
        if threading.current_thread() is not threading.main_thread():
            # Python only lets the main thread set signal handlers.
            return
        self.original_sigint_handler = signal.signal(
            signal.SIGINT, self._handle_epoch_interrupt
        )
        self.original_sigterm_handler = signal.signal(
            signal.SIGTERM, self._handle_batch_interrupt
        )

    def _restore_signal_handlers(self):
        if hasattr(self, "original_sigint_handler"):
            signal.signal(signal.SIGINT, self.original_sigint_handler)
            del self.original_sigint_handler
        if hasattr(self, "original_sigterm_handler"):
            signal.signal(signal.SIGTERM, self.original_sigterm_handler)
            del self.original_sigterm_handler

    # The handlers only take note of the signal: the loop acts on it at the
    # next batch or epoch boundary, where running extensions is safe.

    def _handle_epoch_interrupt(self, signal_number, frame):
        logger.warning("Received epoch interrupt signal." + epoch_interrupt_message)
        signal.signal(signal.SIGINT, self._handle_batch_interrupt)
        if self._interrupt is None:
            self._interrupt = "epoch"

    def _handle_batch_interrupt(self, signal_number, frame):
        logger.warning("Received batch interrupt signal." + batch_interrupt_message)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        self._interrupt = "batch"
