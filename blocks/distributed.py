"""The MPI world of a data-parallel run, and collectives that cannot hang.

A script started as ``mpirun -n N python train.py`` runs N processes,
the *workers*; :func:`world` describes them. A script started without
``mpirun`` is a single process: :func:`world` returns None, ``mpi4py`` is
never imported, and training runs exactly as without this module.

The collectives of :class:`World` are non-blocking MPI operations polled
until a deadline (``config.mpi_timeout`` seconds, or
``$BLOCKS_MPI_TIMEOUT``): when a worker dies or stops taking part, the
others raise :class:`WorkerTimeoutError` instead of waiting forever.

"""

import logging
import os
import sys
import time
import traceback

import numpy

from blocks.config import config

logger = logging.getLogger(__name__)

config.add_config(
    "mpi_timeout", type_=float, default=300.0, env_var="BLOCKS_MPI_TIMEOUT"
)

# Set by the launchers of Open MPI, MPICH/Intel MPI (Hydra) and PMIx.
_LAUNCHER_SIZE_VARIABLES = ("OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_SIZE")

_WORLD = []

# How long a collective spins before it starts to sleep between polls.
_SPIN_SECONDS = 0.1


class WorkerTimeoutError(RuntimeError):
    """A collective operation did not complete in time: a worker is gone."""


def launched_size():
    """The number of workers the MPI launcher started, 1 without one."""
    for name in _LAUNCHER_SIZE_VARIABLES:
        value = os.environ.get(name, "").strip()
        if value.isdigit():
            return int(value)
    return 1


def world():
    """The :class:`World` of this run, or None for a single process.

    Returns None, without importing ``mpi4py``, unless the process was
    started by an MPI launcher with more than one worker.

    Raises
    ------
    ImportError
        When the launcher started several workers but ``mpi4py`` is not
        installed (``pip install blocks[mpi]``).

    """
    if not _WORLD:
        _WORLD.append(_make_world())
    return _WORLD[0]


def _make_world():
    if launched_size() <= 1:
        return None
    try:
        from mpi4py import MPI
    except ImportError as error:
        raise ImportError(
            f"this process was started by an MPI launcher with "
            f"{launched_size()} workers, but mpi4py cannot be imported "
            f"({error}); install it with `pip install mpi4py` (the `mpi` "
            f"extra of this package), or run the script without mpirun"
        ) from error
    comm = MPI.COMM_WORLD
    if comm.Get_size() <= 1:
        return None
    return World(comm)


def rank():
    """The rank of this worker: 0 for a single process."""
    current = world()
    return 0 if current is None else current.rank


def is_main_worker():
    """Whether this process writes checkpoints, logs and printed output."""
    return rank() == 0


class World:
    """The workers of a data-parallel run, with timed collectives.

    Parameters
    ----------
    comm : ``mpi4py.MPI.Comm``
        The communicator of the workers.
    timeout : float, optional
        Seconds a collective may take before the worker gives up;
        ``config.mpi_timeout`` by default.

    Attributes
    ----------
    rank : int
    size : int

    """

    def __init__(self, comm, timeout=None):
        from mpi4py import MPI

        self._mpi = MPI
        self.comm = comm
        self.rank = comm.Get_rank()
        self.size = comm.Get_size()
        self.timeout = config.mpi_timeout if timeout is None else float(timeout)

    def allreduce(self, buffer, op="sum", what="allreduce"):
        """Combine `buffer` over all workers, in place.

        Parameters
        ----------
        buffer : numpy.ndarray
            A contiguous array, of the same shape and dtype on every worker.
        op : {'sum', 'min', 'max'}
        what : str
            Names the operation in the timeout error.

        Returns
        -------
        numpy.ndarray
            `buffer`, now holding the combined values.

        """
        _check_contiguous(buffer, what)
        mpi_op = {"sum": self._mpi.SUM, "min": self._mpi.MIN, "max": self._mpi.MAX}[op]
        request = self.comm.Iallreduce(self._mpi.IN_PLACE, buffer, op=mpi_op)
        self._wait(request, what)
        return buffer

    def broadcast(self, buffer, root=0, what="broadcast"):
        """Overwrite `buffer` on every worker with the root's, in place."""
        _check_contiguous(buffer, what)
        request = self.comm.Ibcast(buffer, root=root)
        self._wait(request, what)
        return buffer

    def _wait(self, request, what):
        # MPI moves a large message on only while it is called, so the
        # worker spins on the request for a while (the others are about to
        # join); then it polls with short sleeps until the deadline.
        start = time.monotonic()
        spin_until = start + _SPIN_SECONDS
        while True:
            for _ in range(200):
                if request.Test():
                    return
            if time.monotonic() > spin_until:
                break
            # Let a worker that shares this core run.
            os.sched_yield()
        deadline = start + self.timeout
        pause = 1e-5
        while not request.Test():
            if time.monotonic() > deadline:
                raise WorkerTimeoutError(
                    f"worker {self.rank} of {self.size}: the {what} did not "
                    f"complete within {self.timeout:g} s (config.mpi_timeout, "
                    f"$BLOCKS_MPI_TIMEOUT); another worker has died, hangs, or "
                    f"left the training loop early"
                )
            time.sleep(pause)
            pause = min(pause * 2, 1e-3)

    def abort(self, error=None, code=1):
        """Print `error` and end every worker of the run.

        A worker that meets an error cannot leave the others waiting in a
        collective: it ends the whole job, as ``MPI_Abort`` does.

        """
        if error is not None:
            sys.stderr.write(
                f"worker {self.rank} of {self.size} stops the run after an "
                f"error:\n{''.join(traceback.format_exception(error))}"
            )
            sys.stderr.flush()
        self.comm.Abort(code)


def _check_contiguous(buffer, what):
    if not (isinstance(buffer, numpy.ndarray) and buffer.flags.c_contiguous):
        raise TypeError(
            f"the {what} needs a C-contiguous numpy array, got {type(buffer).__name__}"
        )


def broadcast_shared_values(variables, what="broadcast of the parameters"):
    """Give every worker rank 0's values of shared variables.

    The values are packed into one buffer and sent with one broadcast.
    Does nothing in a single process.

    Parameters
    ----------
    variables : list of shared variables

    """
    current = world()
    if current is None or not variables:
        return
    packer = Packer([v.get_value(borrow=True) for v in variables])
    buffer = packer.pack([v.get_value(borrow=True) for v in variables])
    current.broadcast(buffer, what=what)
    for variable, value in zip(variables, packer.unpack(buffer), strict=True):
        variable.set_value(value.copy())


class Packer:
    """Packs arrays of fixed shapes into one flat buffer, and back.

    Parameters
    ----------
    examples : list of numpy.ndarray
        Arrays with the shapes of the arrays to pack. The buffer has the
        widest of their dtypes.
    extra : int, optional
        Room for this many more scalars at the end of the buffer.

    """

    def __init__(self, examples, extra=0):
        self.shapes = [numpy.shape(e) for e in examples]
        self.dtypes = [numpy.asarray(e).dtype for e in examples]
        self.sizes = [int(numpy.prod(s)) for s in self.shapes]
        self.offsets = numpy.cumsum([0, *self.sizes]).tolist()
        dtype = numpy.result_type(*self.dtypes) if examples else numpy.float64
        self.buffer = numpy.empty(self.offsets[-1] + extra, dtype=dtype)

    @property
    def extra(self):
        """The view of the extra scalars at the end of the buffer."""
        return self.buffer[self.offsets[-1] :]

    def pack(self, arrays, scales=None):
        """Copy `arrays` into the buffer (times `scales`, if given)."""
        for i, array in enumerate(arrays):
            start, stop = self.offsets[i], self.offsets[i + 1]
            target = self.buffer[start:stop]
            if scales is None:
                target[...] = numpy.ravel(array)
            else:
                numpy.multiply(numpy.ravel(array), scales, out=target)
        return self.buffer

    def unpack(self, buffer=None):
        """Views of the buffer, with the shapes and dtypes of the arrays."""
        buffer = self.buffer if buffer is None else buffer
        return [
            buffer[self.offsets[i] : self.offsets[i + 1]]
            .reshape(shape)
            .astype(dtype, copy=False)
            for i, (shape, dtype) in enumerate(
                zip(self.shapes, self.dtypes, strict=True)
            )
        ]
