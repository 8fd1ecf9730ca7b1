import multiprocessing
import pickle
import socket
import sys

import numpy
import pytest

from fuel.datasets import IndexableDataset
from fuel.schemes import SequentialScheme
from fuel.server import recv_arrays, send_arrays, start_server
from fuel.streams import ServerDataStream

zmq = pytest.importorskip("zmq", reason="the data server needs pyzmq")

FEATURES = numpy.arange(30, dtype="float32").reshape(10, 3)
TARGETS = numpy.arange(10, dtype="int64")[::-1].copy()


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def served_stream():
    # Module level, so that the spawned server process can rebuild it.
    from fuel.streams import DataStream

    dataset = IndexableDataset({"features": FEATURES, "targets": TARGETS})
    return DataStream(dataset, iteration_scheme=SequentialScheme(10, 4))


def serve(port):
    start_server(served_stream(), port=port, hwm=4)


@pytest.fixture
def server_port():
    port = free_port()
    process = multiprocessing.get_context("spawn").Process(target=serve, args=(port,))
    process.start()
    try:
        yield port
    finally:
        process.terminate()
        process.join(10)


def test_server_stream_reads_the_served_epochs(server_port):
    stream = ServerDataStream(
        ("features", "targets"), False, host="127.0.0.1", port=server_port, hwm=4
    )
    for _ in range(2):
        batches = list(stream.get_epoch_iterator())
        assert len(batches) == 3
        numpy.testing.assert_array_equal(
            numpy.concatenate([features for features, _ in batches]), FEATURES
        )
        numpy.testing.assert_array_equal(
            numpy.concatenate([targets for _, targets in batches]), TARGETS
        )
        assert batches[0][0].dtype == numpy.float32
    as_dict = next(stream.get_epoch_iterator(as_dict=True))
    assert sorted(as_dict) == ["features", "targets"]
    assert as_dict["features"].shape == (4, 3)

    copy = pickle.loads(pickle.dumps(stream))
    assert not copy.connected
    stream.disconnect()
    # The copy reconnects; the server may be mid-epoch for it, or at the end
    # of one (its first message is then the end-of-epoch marker).
    try:
        item = copy.get_data()
    except StopIteration:
        item = copy.get_data()
    assert len(item) == 2
    copy.disconnect()
    with pytest.raises(ValueError, match="no requests"):
        stream.get_data([0])


@pytest.fixture
def socket_pair():
    context = zmq.Context()
    push, pull = context.socket(zmq.PUSH), context.socket(zmq.PULL)
    port = push.bind_to_random_port("tcp://127.0.0.1")
    pull.connect(f"tcp://127.0.0.1:{port}")
    yield push, pull
    push.close(linger=0)
    pull.close(linger=0)
    context.term()


def test_send_and_recv_arrays_round_trip(socket_pair):
    push, pull = socket_pair
    arrays = [
        numpy.asfortranarray(numpy.arange(6, dtype=">i4").reshape(2, 3)),
        numpy.array(3.5),
        numpy.zeros((0, 2), dtype="uint8"),
        numpy.array([(1, 2.0)], dtype=[("a", "i2"), ("b", "f8")]),
    ]
    send_arrays(push, arrays)
    received = recv_arrays(pull)
    for sent, got in zip(arrays, received, strict=True):
        assert got.dtype == sent.dtype and got.shape == sent.shape
        numpy.testing.assert_array_equal(got, sent)
    send_arrays(push, None, stop=True)
    with pytest.raises(StopIteration):
        recv_arrays(pull)
    with pytest.raises(TypeError, match="dtype is object"):
        send_arrays(push, [numpy.array([None, 1], dtype=object)])


def test_missing_pyzmq_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "zmq", None)
    stream = ServerDataStream(("x",), True)
    with pytest.raises(ImportError, match=r"symbolic-blocks\[server\]"):
        stream.get_data()


def produce_squares(socket):
    for i in range(5):
        socket.send_pyobj(i * i)
    socket.send_pyobj(None)


def consume_all(socket):
    received = []
    while (item := socket.recv_pyobj()) is not None:
        received.append(item)
    return received


@pytest.mark.parametrize("port", [None, "free"])
def test_producer_consumer_joins_two_processes(port):
    from fuel.utils.parallel import producer_consumer

    port = free_port() if port == "free" else None
    assert producer_consumer(produce_squares, consume_all, port=port) == [
        i * i for i in range(5)
    ]
