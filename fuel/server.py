"""Serve a data stream over ZeroMQ, so that another process can read it.

The server (:func:`start_server`) reads a stream epoch after epoch and
pushes each item on a ZeroMQ PUSH socket; a :class:`.ServerDataStream` in
the training process pulls them. Each message is either a stop marker (the
end of an epoch) or one item: a JSON frame holding, for each array, its
``.npy`` header (``descr``, ``fortran_order``, ``shape``), followed by one
frame of raw bytes per array. Needs pyzmq: ``pip install
symbolic-blocks[server]``.

"""

import logging

import numpy
from numpy.lib.format import header_data_from_array_1_0

logger = logging.getLogger(__name__)


def import_zmq():
    """Return the zmq module, or explain how to install it."""
    try:
        import zmq
    except ImportError as error:
        raise ImportError(
            "the Fuel data server needs pyzmq; install it with "
            "`pip install symbolic-blocks[server]` (or `pip install pyzmq`)"
        ) from error
    return zmq


def send_arrays(socket, arrays, stop=False):
    """Send numpy arrays (one stream item), or the end-of-epoch marker.

    Parameters
    ----------
    socket : zmq.Socket
        The socket to send on.
    arrays : sequence of ndarray
        The item, one array per source; sent in C order.
    stop : bool, optional
        Send the end-of-epoch marker instead.

    Raises
    ------
    TypeError
        For an array of Python objects, which has no raw byte layout.

    """
    zmq = import_zmq()
    if stop:
        socket.send_json({"stop": True})
        return
    arrays = [_c_contiguous(array) for array in arrays]
    if not arrays:
        raise ValueError("send_arrays needs at least one array to send")
    headers = []
    for i, array in enumerate(arrays):
        if array.dtype.hasobject:
            raise TypeError(
                f"send_arrays cannot send array {i}: its dtype is object (say, "
                f"a batch of sequences of unequal length); pad it first"
            )
        header = header_data_from_array_1_0(array)
        header["shape"] = list(header["shape"])
        headers.append(header)
    socket.send_json(headers, zmq.SNDMORE)
    for array in arrays[:-1]:
        socket.send(array, zmq.SNDMORE)
    socket.send(arrays[-1])


def _c_contiguous(array):
    # Not ascontiguousarray alone: it would turn a 0-d array into shape (1,).
    array = numpy.asarray(array)
    return array if array.flags.c_contiguous else numpy.ascontiguousarray(array)


def _dtype_from_descr(descr):
    if isinstance(descr, str):
        return numpy.dtype(descr)
    # A structured dtype: JSON turned the field tuples into lists.
    return numpy.lib.format.descr_to_dtype([tuple(field) for field in descr])


def recv_arrays(socket):
    """Receive one item sent by :func:`send_arrays`.

    Returns
    -------
    list of ndarray
        Read-only arrays viewing the received frames.

    Raises
    ------
    StopIteration
        On the end-of-epoch marker.

    """
    headers = socket.recv_json()
    if isinstance(headers, dict) and "stop" in headers:
        raise StopIteration
    arrays = []
    for header in headers:
        frame = socket.recv(copy=False)
        dtype = _dtype_from_descr(header["descr"])
        shape = tuple(header["shape"])
        if header["fortran_order"]:
            array = numpy.frombuffer(frame.buffer, dtype=dtype).reshape(shape[::-1]).T
        else:
            array = numpy.frombuffer(frame.buffer, dtype=dtype).reshape(shape)
        arrays.append(array)
    return arrays


def start_server(data_stream, port=5557, hwm=10):
    """Serve `data_stream` on a PUSH socket, epoch after epoch, until killed.

    Parameters
    ----------
    data_stream : AbstractDataStream
        The stream to serve; each item must be arrays (or things that
        ``numpy.asarray`` makes numeric arrays of).
    port : int, optional
        The TCP port to bind on all interfaces (5557 by default).
    hwm : int, optional
        The high-water mark: about how many items may wait unsent. Use the
        same on the client.

    Notes
    -----
    It returns only when an exception (including KeyboardInterrupt) stops
    it; the socket and context are closed then.

    """
    zmq = import_zmq()
    logging.basicConfig(level="INFO")
    context = zmq.Context()
    socket = context.socket(zmq.PUSH)
    socket.set_hwm(hwm)
    socket.bind(f"tcp://*:{port}")
    logger.info("serving %s on port %d", type(data_stream).__name__, port)
    try:
        while True:
            for item in data_stream.get_epoch_iterator():
                send_arrays(socket, item)
            send_arrays(socket, None, stop=True)
    finally:
        socket.close(linger=0)
        context.term()
