"""Run a producer in another process that feeds a consumer over ZeroMQ.

Converters use it to read archives in one process while another writes the
HDF5 file. Needs pyzmq (``pip install symbolic-blocks[server]``).

"""

import logging
import multiprocessing

from fuel.server import import_zmq

logger = logging.getLogger(__name__)


def _producer_wrapper(producer, port, addr):
    zmq = import_zmq()
    context = zmq.Context()
    socket = context.socket(zmq.PUSH)
    try:
        socket.connect(f"{addr}:{port}")
        producer(socket)
    finally:
        socket.close()
        context.term()


def producer_consumer(
    producer, consumer, addr="tcp://127.0.0.1", port=None, context=None
):
    """Run `producer` in a child process and `consumer` here, joined by a socket.

    Parameters
    ----------
    producer : callable
        Called in a forked process with a PUSH socket connected to the
        consumer's.
    consumer : callable
        Called here with the bound PULL socket; its result is returned.
    addr : str, optional
        The address to bind.
    port : int, optional
        The port to bind; a free one by default. (Upstream Fuel bound nothing
        when given a port.)
    context : zmq.Context, optional
        The context for the consumer's socket; a new one (destroyed at the
        end) by default.

    Returns
    -------
    What `consumer` returns. The producer process is terminated then.

    """
    zmq = import_zmq()
    own_context = context is None
    if own_context:
        context = zmq.Context()
    try:
        socket = context.socket(zmq.PULL)
        if port is None:
            port = socket.bind_to_random_port(addr)
        else:
            socket.bind(f"{addr}:{port}")
        process = multiprocessing.get_context("fork").Process(
            target=_producer_wrapper, args=(producer, port, addr)
        )
        process.start()
        try:
            return consumer(socket)
        finally:
            process.terminate()
            process.join()
            socket.close(linger=0)
    finally:
        if own_context:
            context.destroy(linger=0)
