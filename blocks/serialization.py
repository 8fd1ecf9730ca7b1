"""Saving and loading models and main loops.

:func:`dump` and :func:`load` work like :func:`pickle.dump` and
:func:`pickle.load`, with two differences:

- the dump is a tar archive; the pickled object is its member ``_pkl``;
- the values of chosen shared variables (the parameters, usually) are
  stored apart, in the member ``_parameters``: a :func:`numpy.savez` file
  keyed by the hierarchical names of the parameters, such as
  ``|mlp|linear_0.W``. The pickle refers to them by persistent ids, so
  nothing is stored twice.

The parameters can thus be read without unpickling anything, with
:func:`load_parameters` or plain :func:`numpy.load`, across platforms and
library versions, even when the pickle no longer loads. More objects can be
added to an archive with :func:`add_to_dump`. :func:`dump` warns when it
pickles a function or class defined in ``__main__``, which another script
could not unpickle (``blocks-continue --script`` can).

Each member's SHA-256 is stored in its tar header and checked when it is
read, so a damaged or truncated file gives a :class:`CorruptDumpError`
naming it; dumps saved before checksums existed load without the check.
:func:`secure_dump` writes a file so that a kill, a full disk or an
unpicklable object never leaves it half written.

Warnings
--------
:func:`load` and :func:`continue_training` unpickle, and unpickling can run
arbitrary code: only load files you trust. :func:`load_parameters` never
unpickles (it reads the arrays with ``allow_pickle=False``).

Examples
--------
>>> import io
>>> import numpy
>>> import symbolic
>>> W = symbolic.shared(numpy.ones(2), name='W')
>>> f = io.BytesIO()
>>> dump({'W': W}, f, parameters=[W])
>>> load_parameters(f)
{'W': array([1., 1.])}
>>> load(f)['W'].get_value()
array([1., 1.])

"""

import contextlib
import errno
import hashlib
import io
import logging
import os
import pickle
import secrets
import tarfile
import types
import warnings
import zipfile
from contextlib import closing

import numpy

from blocks.config import config
from blocks.utils import change_recursion_limit

logger = logging.getLogger(__name__)

DEFAULT_PROTOCOL = pickle.DEFAULT_PROTOCOL
SERIALIZATION_BRICK_DELIMITER = "|"
BRICK_DELIMITER = "/"
# Persistent ids are strings, which every pickle protocol accepts.
PERSISTENT_ID_PREFIX = "blocks.parameter:"
# Each member's SHA-256 travels in its own (PAX) tar header, so members
# added later by add_to_dump carry theirs too. Older dumps have none.
CHECKSUM_HEADER = "BLOCKS.sha256"
TEMP_PREFIX = ".blocks_dump_"

MAIN_MODULE_WARNING = """Pickling the object {}, defined in the __main__ module.

Another script that unpickles this file (such as blocks-continue) will not find
it, unless it is importable from a module of the same name. Define the functions
and classes that you need to pickle in a module of their own, and import them."""


class _Renamer:
    """Gives unique names to parameters, from the brick hierarchy if any.

    A parameter of a brick is named after its path in the hierarchy, with
    :data:`SERIALIZATION_BRICK_DELIMITER` between brick names (the names
    become file names inside the npz archive, where ``/`` would make
    folders). Other shared variables keep their ``tag.name`` or ``name``,
    and nameless ones are called ``parameter``. Repeated names get ``_2``,
    ``_3``... suffixes.

    """

    def __init__(self):
        self.used_names = set()
        self.default_name = "parameter"

    def __call__(self, parameter):
        from blocks.filter import get_brick

        brick = get_brick(parameter)
        if brick is not None:
            name = brick.get_hierarchical_name(parameter, SERIALIZATION_BRICK_DELIMITER)
        elif getattr(parameter.tag, "name", None) is not None:
            name = parameter.tag.name
        elif parameter.name is not None:
            name = parameter.name
        else:
            name = self.default_name
        if name in self.used_names:
            i = 2
            while f"{name}_{i}" in self.used_names:
                i += 1
            name = f"{name}_{i}"
        self.used_names.add(name)
        return name


def _parameter_arrays(parameters):
    """Map each parameter's name to its value array, in order."""
    renamer = _Renamer()
    named = {}
    for parameter in parameters:
        named[renamer(parameter)] = parameter.container.storage[0]
    return named


class _Pickler(pickle.Pickler):
    """A pickler that stores chosen arrays by reference, and warns about
    pickling objects from ``__main__``."""

    def __init__(self, file_, external_objects, warn_main, **kwargs):
        super().__init__(file_, **kwargs)
        self.external_objects = external_objects
        self.warn_main = warn_main
        self.warned = set()

    def persistent_id(self, obj):
        if isinstance(obj, numpy.ndarray):
            name = self.external_objects.get(id(obj))
            if name is not None:
                return PERSISTENT_ID_PREFIX + name
        return None

    def reducer_override(self, obj):
        if self.warn_main and isinstance(obj, (type, types.FunctionType)):
            if getattr(obj, "__module__", None) == "__main__":
                name = getattr(obj, "__qualname__", repr(obj))
                if name not in self.warned:
                    self.warned.add(name)
                    warnings.warn(MAIN_MODULE_WARNING.format(name), stacklevel=2)
        return NotImplemented


def _pickle_bytes(object_, external_objects, use_cpickle, protocol, **kwargs):
    buffer = io.BytesIO()
    pickler = _Pickler(
        buffer, external_objects, not use_cpickle, protocol=protocol, **kwargs
    )
    with change_recursion_limit(config.recursion_limit):
        try:
            pickler.dump(object_)
        except (AttributeError, TypeError) as error:
            # Local functions give AttributeError and locks or files
            # TypeError; callers expect the pickle module's own error.
            raise pickle.PicklingError(
                f"cannot pickle {type(object_).__name__} object: {error}"
            ) from error
    return buffer.getvalue()


def _add_member(tar_file, name, data):
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.pax_headers = {CHECKSUM_HEADER: hashlib.sha256(data).hexdigest()}
    tar_file.addfile(info, io.BytesIO(data))


def _file_name(file_):
    name = getattr(file_, "name", None)
    return repr(name) if isinstance(name, str) else "the file object"


class CorruptDumpError(ValueError):
    """A dump that cannot be read back: truncated, damaged or not a dump."""


@contextlib.contextmanager
def _reading(file_):
    """Turn the errors of a damaged archive into one naming the file."""
    try:
        yield
    except (
        tarfile.TarError,
        zipfile.BadZipFile,
        EOFError,
        pickle.UnpicklingError,
    ) as error:
        raise CorruptDumpError(
            f"cannot read the Blocks dump {_file_name(file_)}: it is truncated or "
            f"damaged ({type(error).__name__}: {error})"
        ) from error


def _read_member(tar_file, name, file_):
    """The bytes of a member, checked against their recorded checksum."""
    member = tar_file.getmember(name)
    data = tar_file.extractfile(member).read()
    if len(data) != member.size:
        raise CorruptDumpError(
            f"cannot read the Blocks dump {_file_name(file_)}: the member {name!r} "
            f"is truncated ({len(data)} of {member.size} bytes)"
        )
    expected = member.pax_headers.get(CHECKSUM_HEADER)
    if expected is not None and hashlib.sha256(data).hexdigest() != expected:
        raise CorruptDumpError(
            f"the Blocks dump {_file_name(file_)} is damaged: the checksum of its "
            f"member {name!r} does not match the one recorded when it was saved"
        )
    return data


def _external_ids(named_arrays):
    return {id(array): name for name, array in named_arrays.items()}


def dump(
    object_,
    file_,
    parameters=None,
    use_cpickle=False,
    protocol=DEFAULT_PROTOCOL,
    **kwargs,
):
    r"""Pickle an object into a tar archive, its parameters stored apart.

    Parameters
    ----------
    object_ : object
        The object to pickle. If None, only the parameters are saved.
    file_ : file
        The destination, open for binary writing.
    parameters : list of :class:`~tensor.TensorSharedVariable`, optional
        Shared variables whose values are stored in the ``_parameters``
        member rather than in the pickle.
    use_cpickle : bool, optional
        Skip the check for objects from ``__main__`` (faster). False by
        default.
    protocol : int, optional
        The pickle protocol.
    \*\*kwargs
        Passed on to :class:`pickle.Pickler`.

    """
    with closing(tarfile.TarFile(fileobj=file_, mode="w")) as tar_file:
        external_objects = {}
        if parameters:
            named_arrays = _parameter_arrays(parameters)
            buffer = io.BytesIO()
            numpy.savez(
                buffer, **{n: numpy.asarray(a) for n, a in named_arrays.items()}
            )
            _add_member(tar_file, "_parameters", buffer.getvalue())
            external_objects = _external_ids(named_arrays)
        if object_ is not None:
            data = _pickle_bytes(
                object_, external_objects, use_cpickle, protocol, **kwargs
            )
            _add_member(tar_file, "_pkl", data)


def _read_parameters(tar_file, file_):
    """The arrays of the ``_parameters`` member, read without unpickling."""
    data = _read_member(tar_file, "_parameters", file_)
    with _reading(file_):
        with numpy.load(io.BytesIO(data), allow_pickle=False) as npz_file:
            return {name: npz_file[name] for name in npz_file.files}


class _PersistentLoad:
    def __init__(self, tar_file, file_):
        self.tar_file = tar_file
        self.file_ = file_
        self.arrays = None

    def __call__(self, persistent_id):
        if not persistent_id.startswith(PERSISTENT_ID_PREFIX):
            raise pickle.UnpicklingError(f"unknown persistent id {persistent_id!r}")
        name = persistent_id[len(PERSISTENT_ID_PREFIX) :]
        if self.arrays is None:
            self.arrays = _read_parameters(self.tar_file, self.file_)
        return self.arrays[name]


def _open_tar(file_):
    """Open the archive and read all its headers, naming the file on error."""
    file_.seek(0)
    try:
        tar_file = tarfile.open(fileobj=file_, mode="r")
    except tarfile.ReadError as error:
        file_.seek(0, io.SEEK_END)
        if file_.tell() == 0:
            problem = "it is empty"
        else:
            problem = (
                f"it is not a tar archive made by blocks.serialization.dump ({error})"
            )
        raise CorruptDumpError(
            f"{_file_name(file_)} is not a Blocks dump: {problem}"
        ) from error
    with _reading(file_):
        members = tar_file.getmembers()
    _check_end_marker(file_, members)
    return tar_file


def _check_end_marker(file_, members):
    """A file cut at a member boundary reads as a shorter archive: make sure
    the two zero blocks that end every tar archive are there."""
    if not members:
        return
    last = members[-1]
    padded_size = -(-last.size // tarfile.BLOCKSIZE) * tarfile.BLOCKSIZE
    end = last.offset_data + padded_size
    file_.seek(end)
    marker = file_.read(2 * tarfile.BLOCKSIZE)
    if marker != tarfile.NUL * (2 * tarfile.BLOCKSIZE):
        raise CorruptDumpError(
            f"cannot read the Blocks dump {_file_name(file_)}: it is truncated "
            f"after its member {last.name!r} (the end of the archive is missing)"
        )


MAIN_MODULE_ERROR = """cannot unpickle {file}: {error}.

The object was defined in the __main__ module of the script that saved it (a
class or function written in the training script itself), and this process has
no such definition. Either move that definition into a module and import it in
the training script before saving again, or run the script's definitions as
__main__ before loading (blocks-continue CHECKPOINT --script SCRIPT does this)."""


def _unpickle(unpickler, file_):
    with change_recursion_limit(config.recursion_limit), _reading(file_):
        try:
            return unpickler.load()
        except AttributeError as error:
            if "__main__" not in str(error):
                raise
            raise AttributeError(
                MAIN_MODULE_ERROR.format(file=_file_name(file_), error=error)
            ) from error


def load(file_, name="_pkl", use_cpickle=False, **kwargs):
    r"""Load an object saved by :func:`dump` or :func:`add_to_dump`.

    This unpickles, which can run arbitrary code: only load files you
    trust.

    Parameters
    ----------
    file_ : file
        The archive, open for binary reading.
    name : str, optional
        The member to load: ``'_pkl'``, the object given to :func:`dump`,
        by default, or a name given to :func:`add_to_dump`.
    use_cpickle : bool, optional
        Kept for compatibility; the C unpickler is always used.
    \*\*kwargs
        Passed on to :class:`pickle.Unpickler`, e.g. an ``encoding``.

    Returns
    -------
    object
        The object, with the separately saved parameter values restored.

    Raises
    ------
    CorruptDumpError
        When the file is not a dump, is truncated, or a member does not
        match the checksum recorded when it was saved. The message names
        the file.

    """
    return _load(file_, name, pickle.Unpickler, **kwargs)


def _load(file_, name, unpickler_class, **kwargs):
    """Load the member `name`, unpickled by an `unpickler_class` instance."""
    with closing(_open_tar(file_)) as tar_file:
        if name not in tar_file.getnames():
            raise ValueError(
                f"the archive {_file_name(file_)} has no member {name!r}; it has "
                f"{tar_file.getnames()}"
            )
        data = _read_member(tar_file, name, file_)
        unpickler = unpickler_class(io.BytesIO(data), **kwargs)
        if "_parameters" in tar_file.getnames():
            unpickler.persistent_load = _PersistentLoad(tar_file, file_)
        return _unpickle(unpickler, file_)


def load_parameters(file_):
    """Load the parameter values saved apart by :func:`dump`.

    Nothing is unpickled: the arrays are read with ``allow_pickle=False``,
    so this is safe on files from anywhere.

    Parameters
    ----------
    file_ : file
        The archive, open for binary reading.

    Returns
    -------
    dict
        Hierarchical parameter names (``/mlp/linear_0.W``, as
        :meth:`.Model.get_parameter_dict` has them) to arrays. Empty when
        the archive has no parameters.

    """
    with closing(_open_tar(file_)) as tar_file:
        if "_parameters" not in tar_file.getnames():
            return {}
        arrays = _read_parameters(tar_file, file_)
    return {
        name.replace(SERIALIZATION_BRICK_DELIMITER, BRICK_DELIMITER): array
        for name, array in arrays.items()
    }


def add_to_dump(
    object_,
    file_,
    name,
    parameters=None,
    use_cpickle=False,
    protocol=DEFAULT_PROTOCOL,
    **kwargs,
):
    r"""Pickle one more object into an archive made by :func:`dump`.

    Parameters
    ----------
    object_ : object
        The object to pickle.
    file_ : file
        The archive, open for reading and writing (``'r+b'``).
    name : str
        The member name. ``_pkl`` and ``_parameters`` are reserved, and a
        name cannot be used twice.
    parameters : list of :class:`~tensor.TensorSharedVariable`, optional
        Shared variables the object shares with the dumped one. They must
        be among the parameters already saved in the archive, and are
        referred to rather than stored again.
    use_cpickle : bool, optional
        See :func:`dump`.
    protocol : int, optional
        The pickle protocol.
    \*\*kwargs
        Passed on to :class:`pickle.Pickler`.

    """
    if name in ("_pkl", "_parameters"):
        raise ValueError(
            f"{name!r} is reserved in Blocks archives; choose another member name"
        )
    with closing(_open_tar(file_)) as tar_file:
        names = tar_file.getnames()
        saved = set()
        if "_parameters" in names:
            data = _read_member(tar_file, "_parameters", file_)
            with _reading(file_), zipfile.ZipFile(io.BytesIO(data)) as npz:
                saved = {n[: -len(".npy")] for n in npz.namelist()}
    if name in names:
        raise ValueError(f"the archive already has a member named {name!r}")
    external_objects = {}
    if parameters:
        if not saved:
            raise ValueError(
                "the archive holds no parameters, so add_to_dump cannot refer "
                "to any; pass parameters to dump first"
            )
        named_arrays = _parameter_arrays(parameters)
        missing = sorted(set(named_arrays) - saved)
        if missing:
            raise ValueError(
                f"the parameters {missing} are not in the archive, which has "
                f"{sorted(saved)}"
            )
        external_objects = _external_ids(named_arrays)
    data = _pickle_bytes(object_, external_objects, use_cpickle, protocol, **kwargs)
    file_.seek(0)
    with closing(tarfile.TarFile(fileobj=file_, mode="a")) as tar_file:
        _add_member(tar_file, name, data)


def dump_and_add_to_dump(
    object_,
    file_,
    parameters=None,
    to_add=None,
    use_cpickle=False,
    protocol=DEFAULT_PROTOCOL,
    **kwargs,
):
    r"""Dump an object, then add more objects to the same archive.

    The added objects refer to the same separately saved parameters. Being
    one function, it can be given to :func:`secure_dump`.

    Parameters
    ----------
    object_ : object
        The object to pickle; None saves the parameters only.
    file_ : file
        The destination, open for reading and writing.
    parameters : list of :class:`~tensor.TensorSharedVariable`, optional
        Saved apart, see :func:`dump`.
    to_add : dict, optional
        Member names to further objects to pickle into the archive.
    use_cpickle : bool, optional
        See :func:`dump`.
    protocol : int, optional
        The pickle protocol.
    \*\*kwargs
        Passed on to :class:`pickle.Pickler`.

    """
    dump(
        object_,
        file_,
        parameters=parameters,
        use_cpickle=use_cpickle,
        protocol=protocol,
        **kwargs,
    )
    for name, obj in (to_add or {}).items():
        add_to_dump(
            obj,
            file_,
            name,
            parameters=parameters,
            use_cpickle=use_cpickle,
            protocol=protocol,
            **kwargs,
        )


def _temp_name(path):
    """A fresh temporary name beside `path`, tagged with this process id."""
    directory, base = os.path.split(os.path.abspath(path))
    token = secrets.token_hex(4)
    return os.path.join(directory, f"{TEMP_PREFIX}{base}.{os.getpid()}.{token}")


def _process_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _remove_leftovers(path):
    """Remove the temporary files of earlier saves to `path` that were killed.

    Only files of processes that no longer run are removed (and those of
    this process, which has no save in progress to `path` at this point), so
    a save running in another process keeps its temporary file.

    """
    directory, base = os.path.split(os.path.abspath(path))
    prefix = f"{TEMP_PREFIX}{base}."
    for name in os.listdir(directory):
        if not name.startswith(prefix):
            continue
        pid_text = name[len(prefix) :].split(".")[0]
        if not pid_text.isdigit():
            continue
        pid = int(pid_text)
        if pid == os.getpid() or not _process_alive(pid):
            with contextlib.suppress(FileNotFoundError):
                os.remove(os.path.join(directory, name))
                logger.info(f"removed {name}, left by an interrupted save to {path}")


def _fsync_directory(directory):
    """Make a rename in `directory` durable (where the platform allows it)."""
    try:
        descriptor = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)


def _name_the_target(error, path):
    """The same OSError, with a message that names the dump being saved."""
    if error.errno == errno.ENOSPC:
        reason = "the disk is full (no space left on the device)"
    else:
        reason = error.strerror or str(error)
    return type(error)(
        error.errno, f"cannot save {path!r}: {reason}; the previous file is untouched"
    )


def secure_dump(object_, path, dump_function=dump, **kwargs):
    r"""Dump to a file without ever leaving a half-written file behind.

    The object is written to a temporary file in the folder of `path`,
    flushed to disk, and renamed to `path` in one step; then the folder
    itself is flushed. So `path` holds either the old dump or the new one,
    even if the process or the machine stops meanwhile.

    Parameters
    ----------
    object_ : object
        The object to save.
    path : str
        The destination.
    dump_function : callable, optional
        Called as ``dump_function(object_, file_, **kwargs)``, with a file
        open in ``'w+b'`` mode. :func:`dump` by default; :func:`pickle.dump`
        works too.
    \*\*kwargs
        Passed on to `dump_function`.

    Raises
    ------
    pickle.PicklingError
        When the object cannot be pickled; `path` is left as it was.
    OSError
        When the file cannot be written (a full disk, say); the message
        names `path`, which is left as it was.

    Notes
    -----
    The temporary file is called ``.blocks_dump_<name>.<pid>.<random>``.
    A save that is killed leaves it behind; the next successful save to
    the same path removes it. The ``temp_dir`` setting is not used: a
    temporary file on another file system could not be renamed over
    `path` in one step. The new file gets the permissions of any new file
    (``0o666`` less the umask, which is read by the kernel, never changed).

    """
    directory = os.path.dirname(os.path.abspath(path))
    temp_name = _temp_name(path)
    try:
        # The kernel applies the process umask to the 0o666 asked for here.
        descriptor = os.open(temp_name, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o666)
    except OSError as error:
        raise _name_the_target(error, path) from error
    try:
        with open(descriptor, "w+b") as temp:
            dump_function(object_, temp, **kwargs)
            temp.flush()
            os.fsync(temp.fileno())
        os.replace(temp_name, path)
    except BaseException as error:
        with contextlib.suppress(FileNotFoundError):
            os.remove(temp_name)
        if isinstance(error, OSError):
            raise _name_the_target(error, path) from error
        raise
    _fsync_directory(directory)
    _remove_leftovers(path)


def continue_training(path, script=None, module_folders=None, finish_after=None):
    """Load a checkpointed main loop and run it again.

    This unpickles the checkpoint, which can run arbitrary code: only use
    checkpoints you trust.

    Parameters
    ----------
    path : str
        The checkpoint, as saved by :class:`.Checkpoint`.
    script : str, optional
        The training script that saved the checkpoint, needed when the main
        loop holds classes or functions defined in it (in its
        ``__main__``). Its top level runs first, its
        ``if __name__ == '__main__':`` block does not; see
        :func:`blocks.utils.script_imports.run_script_definitions`.
    module_folders : list of str, optional
        Where to look for the modules the checkpoint needs that cannot be
        imported from ``sys.path`` (the training script's own modules); a
        folder is appended to the end of ``sys.path`` only when it has such
        a module. The current folder by default, after the script's.
    finish_after : dict, optional
        New counting conditions (``after_n_epochs``, ``after_n_batches``)
        for the main loop's :class:`.FinishAfter` extensions, replacing
        theirs; a :class:`.FinishAfter` is added if there is none. Use it
        to train a finished run further.

    Returns
    -------
    :class:`.MainLoop`
        The main loop, after training.

    Notes
    -----
    A checkpoint whose training had finished is not trained further: the
    main loop says so and stops, unless its stopping conditions (a
    :class:`.FinishAfter` with a larger number of epochs, say) allow more.

    """
    from blocks.utils.script_imports import (
        ModuleSearchingUnpickler,
        run_script_definitions,
    )

    folders = list(module_folders) if module_folders is not None else [os.getcwd()]
    if script is not None:
        run_script_definitions(script)
        folders.insert(0, os.path.dirname(os.path.abspath(script)))

    def unpickler(file_, **kwargs):
        return ModuleSearchingUnpickler(file_, folders, **kwargs)

    with open(path, "rb") as file_:
        main_loop = _load(file_, "_pkl", unpickler)
    if finish_after:
        _set_finish_conditions(main_loop, finish_after)
    main_loop.run()
    return main_loop


def _set_finish_conditions(main_loop, finish_after):
    from blocks.extensions import FinishAfter

    finishers = [e for e in main_loop.extensions if isinstance(e, FinishAfter)]
    if not finishers:
        finisher = FinishAfter()
        main_loop.extensions.append(finisher)
        finishers = [finisher]
    for finisher in finishers:
        finisher.set_conditions(**finish_after)


__all__ = [
    "SERIALIZATION_BRICK_DELIMITER",
    "CorruptDumpError",
    "add_to_dump",
    "continue_training",
    "dump",
    "dump_and_add_to_dump",
    "load",
    "load_parameters",
    "secure_dump",
]
