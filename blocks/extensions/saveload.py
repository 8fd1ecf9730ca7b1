"""Extensions that save and load the state of training."""

import logging
import os
import tempfile

from blocks.extensions import SimpleExtension
from blocks.serialization import (
    dump_and_add_to_dump,
    load,
    load_parameters,
    secure_dump,
)

logger = logging.getLogger(__name__)

LOADED_FROM = "loaded_from"
SAVED_TO = "saved_to"


def check_writable(path, owner):
    """Raise an error now if a dump could not be written to `path` later.

    Parameters
    ----------
    path : str
        Where a dump will be written.
    owner : str
        Who asks, for the error message.

    Raises
    ------
    ValueError
        When `path` is a folder or its folder does not exist.
    PermissionError
        When no file can be created in the folder.

    """
    directory = os.path.dirname(os.path.abspath(path))
    if os.path.isdir(path):
        raise ValueError(f"{owner}: the checkpoint path {path!r} is a folder")
    if not os.path.isdir(directory):
        raise ValueError(
            f"{owner}: cannot write the checkpoint {path!r}: the folder "
            f"{directory!r} does not exist"
        )
    try:
        with tempfile.TemporaryFile(dir=directory):
            pass
    except OSError as error:
        raise PermissionError(
            f"{owner}: cannot write the checkpoint {path!r}: {error}"
        ) from error


class Checkpoint(SimpleExtension):
    r"""Saves the main loop, so that training can be resumed later.

    The main loop is pickled with :func:`.dump`, the parameters saved apart
    so that they can be read without unpickling, and written atomically
    with :func:`.secure_dump`: an interrupted save never corrupts the
    previous checkpoint. Resume with :func:`.continue_training` or the
    ``blocks-continue`` command. Each save appends its path to the
    ``saved_to`` record of the current log row (None for a failed save).

    By default it saves after training; pass triggers such as
    ``every_n_batches`` or ``after_epoch`` to save more often. The path is
    checked before training starts, so that an unwritable path fails at
    once rather than at the first save.

    Parameters
    ----------
    path : str
        Where to save.
    parameters : list of :class:`~tensor.TensorSharedVariable`, optional
        The parameters saved apart; ``main_loop.model.parameters`` by
        default.
    save_separately : list of str, optional
        Attributes of the main loop (``'log'``, say) to pickle as separate
        members of the archive, under their own names.
    save_main_loop : bool, optional
        Whether to save the main loop; with False only the parameters (and
        `save_separately`) are saved. True by default.
    use_cpickle : bool, optional
        See :func:`.dump`.
    \*\*kwargs
        Triggers and ``name``.

    Notes
    -----
    A condition added with an argument (:meth:`add_condition`) saves to
    that argument instead of `path`; :class:`.EarlyStopping` uses this to
    save the best model.

    """

    main_worker_only = True

    def __init__(
        self,
        path,
        parameters=None,
        save_separately=None,
        save_main_loop=True,
        use_cpickle=False,
        **kwargs,
    ):
        kwargs.setdefault("after_training", True)
        super().__init__(**kwargs)
        self.path = path
        self.parameters = parameters
        self.save_separately = list(save_separately or [])
        self.save_main_loop = save_main_loop
        self.use_cpickle = use_cpickle

    def dispatch(self, callback_invoked, *from_main_loop):
        if callback_invoked == "before_training":
            self.check_paths()
        super().dispatch(callback_invoked, *from_main_loop)

    def check_paths(self):
        """Check that every path this extension may save to is writable."""
        paths = [self.path]
        for _, _, arguments in self._conditions:
            paths.extend(a for a in arguments[:1] if isinstance(a, str))
        for path in dict.fromkeys(paths):
            check_writable(path, self.name)

    def do(self, callback_name, *args):
        """Save the main loop, to the path given as an argument if any."""
        _, from_user = self.parse_args(callback_name, args)
        path = from_user[0] if from_user else self.path
        logger.info(f"Checkpointing to {path} has started")
        try:
            parameters = self.parameters
            if parameters is None:
                try:
                    parameters = self.main_loop.model.parameters
                except AttributeError:
                    parameters = None
            to_add = {
                attribute: getattr(self.main_loop, attribute)
                for attribute in self.save_separately
            }
            secure_dump(
                self.main_loop if self.save_main_loop else None,
                path,
                dump_function=dump_and_add_to_dump,
                parameters=parameters,
                to_add=to_add,
                use_cpickle=self.use_cpickle,
            )
        except Exception:
            path = None
            raise
        finally:
            row = self.main_loop.log.current_row
            row[SAVED_TO] = (*row.get(SAVED_TO, ()), path)
            logger.info("Checkpointing has finished")


class Load(SimpleExtension):
    r"""Loads the parameters of a checkpoint into the model, before training.

    Parameters are matched by their hierarchical names, so the model must
    be built from bricks with unique paths. A missing file is skipped with
    a warning. The ``loaded_from`` record gets the path.

    Parameters
    ----------
    path : str
        The checkpoint made by :class:`Checkpoint`.
    load_iteration_state : bool, optional
        Also restore the data stream and the position in the epoch, to
        resume in the middle of a long epoch. False by default.
    load_log : bool, optional
        Also restore the log, and continue it. False by default.
    \*\*kwargs
        Triggers and ``name``.

    Notes
    -----
    Restoring the iteration state or the log unpickles the checkpoint:
    only load checkpoints you trust. The parameters alone are read without
    unpickling. Extensions are not restored; to resume training exactly,
    use :func:`.continue_training`.

    """

    def __init__(self, path, load_iteration_state=False, load_log=False, **kwargs):
        kwargs.setdefault("before_training", True)
        super().__init__(**kwargs)
        self.path = path
        self.load_iteration_state = load_iteration_state
        self.load_log = load_log

    def load_to(self, main_loop):
        """Load the checkpoint into `main_loop`."""
        with open(self.path, "rb") as source:
            main_loop.model.set_parameter_values(load_parameters(source))
            if self.load_iteration_state or self.load_log:
                loaded = load(source)
                if self.load_log:
                    main_loop.log = loaded.log
                if self.load_iteration_state:
                    main_loop.iteration_state = loaded.iteration_state

    def do(self, *args, **kwargs):
        if not os.path.exists(self.path):
            logger.warning(f"{self.name}: no checkpoint at {self.path}; not loading")
            return
        logger.info(f"Loading the checkpoint {self.path}")
        try:
            self.load_to(self.main_loop)
        except Exception as error:
            raise RuntimeError(
                f"{self.name}: failed to load the checkpoint {self.path}: {error}"
            ) from error
        self.main_loop.log.current_row[LOADED_FROM] = self.path
