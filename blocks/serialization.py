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
could not unpickle.

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

import io
import logging
import os
import pickle
import shutil
import tarfile
import tempfile
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
        pickler.dump(object_)
    return buffer.getvalue()


def _add_member(tar_file, name, data):
    info = tarfile.TarInfo(name)
    info.size = len(data)
    tar_file.addfile(info, io.BytesIO(data))


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


def _read_parameters(tar_file):
    """The arrays of the ``_parameters`` member, read without unpickling."""
    data = tar_file.extractfile(tar_file.getmember("_parameters")).read()
    with numpy.load(io.BytesIO(data), allow_pickle=False) as npz_file:
        return {name: npz_file[name] for name in npz_file.files}


class _PersistentLoad:
    def __init__(self, tar_file):
        self.tar_file = tar_file
        self.arrays = None

    def __call__(self, persistent_id):
        if not persistent_id.startswith(PERSISTENT_ID_PREFIX):
            raise pickle.UnpicklingError(f"unknown persistent id {persistent_id!r}")
        name = persistent_id[len(PERSISTENT_ID_PREFIX) :]
        if self.arrays is None:
            self.arrays = _read_parameters(self.tar_file)
        return self.arrays[name]


def _open_tar(file_):
    file_.seek(0)
    try:
        return tarfile.open(fileobj=file_, mode="r")
    except tarfile.ReadError as error:
        name = getattr(file_, "name", "the file")
        raise ValueError(
            f"{name} is not a Blocks dump (a tar archive made by "
            f"blocks.serialization.dump): {error}"
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

    """
    with closing(_open_tar(file_)) as tar_file:
        if name not in tar_file.getnames():
            raise ValueError(
                f"the archive has no member {name!r}; it has {tar_file.getnames()}"
            )
        unpickler = pickle.Unpickler(
            tar_file.extractfile(tar_file.getmember(name)), **kwargs
        )
        if "_parameters" in tar_file.getnames():
            unpickler.persistent_load = _PersistentLoad(tar_file)
        with change_recursion_limit(config.recursion_limit):
            return unpickler.load()


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
        arrays = _read_parameters(tar_file)
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
            with zipfile.ZipFile(
                tar_file.extractfile(tar_file.getmember("_parameters"))
            ) as npz:
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


def _umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask


def secure_dump(object_, path, dump_function=dump, **kwargs):
    r"""Dump to a file without ever leaving a half-written file behind.

    The object is written to a temporary file, flushed to disk, and then
    renamed to `path` in one step, so `path` holds either the old dump or
    the new one, even if the process is killed meanwhile.

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

    Notes
    -----
    The temporary file is made next to `path`, unless the ``temp_dir``
    setting names another folder.

    """
    directory = config.temp_dir or os.path.dirname(os.path.abspath(path))
    temp = tempfile.NamedTemporaryFile(
        mode="w+b", dir=directory, prefix=".blocks_dump_", delete=False
    )
    try:
        with temp:
            dump_function(object_, temp, **kwargs)
            temp.flush()
            os.fsync(temp.fileno())
        # Temporary files are private (0600); give the dump the permissions
        # of any new file.
        os.chmod(temp.name, 0o666 & ~_umask())
        if config.temp_dir:
            shutil.move(temp.name, path)
        else:
            os.replace(temp.name, path)
    except BaseException:
        if os.path.exists(temp.name):
            os.remove(temp.name)
        raise


def continue_training(path):
    """Load a checkpointed main loop and run it again.

    This unpickles the checkpoint, which can run arbitrary code: only use
    checkpoints you trust.

    Parameters
    ----------
    path : str
        The checkpoint, as saved by :class:`.Checkpoint`.

    Notes
    -----
    Unpickling finds functions and classes by their module and name. If the
    main loop refers to objects defined in the training script's
    ``__main__`` (a mapping function of a data stream, say), loading fails
    with an ``AttributeError``; define such objects in an importable module
    instead, or import them under ``__main__`` before calling this.

    """
    with open(path, "rb") as file_:
        main_loop = load(file_)
    main_loop.run()
    return main_loop


__all__ = [
    "SERIALIZATION_BRICK_DELIMITER",
    "add_to_dump",
    "continue_training",
    "dump",
    "dump_and_add_to_dump",
    "load",
    "load_parameters",
    "secure_dump",
]
