"""Small files in the formats Fuel's downloaders fetch and its converters write.

Every writer takes the arrays to store, so a test compares what it reads
with what it wrote.

"""

import contextlib
import functools
import gzip
import http.server
import io
import pickle
import struct
import tarfile
import threading

import numpy


def write_fuel_hdf5(path, sources, splits, labels=None):
    """Write a file in Fuel's HDF5 layout.

    Parameters
    ----------
    path : str
        The file.
    sources : dict
        Source name to array (all rows of every split).
    splits : dict
        Split name to {source: (start, stop) or list of rows}.
    labels : dict, optional
        Source name to axis labels.

    """
    import h5py

    from fuel.datasets.hdf5 import H5PYDataset

    with h5py.File(path, "w") as f:
        for name, array in sources.items():
            f[name] = array
        for name, names in (labels or {}).items():
            for dim, label in zip(f[name].dims, names):
                dim.label = label
        split_dict = {}
        for split, table in splits.items():
            split_dict[split] = {}
            for source, rows in table.items():
                if isinstance(rows, list):
                    index_name = f"{split}_{source}_indices"
                    f[index_name] = numpy.array(rows, dtype=numpy.int64)
                    split_dict[split][source] = (-1, -1, f[index_name].ref)
                else:
                    split_dict[split][source] = tuple(rows)
        f.attrs["split"] = H5PYDataset.create_split_array(split_dict)


def write_vlen_source(h5file, name, examples, shape_labels):
    """Store variable-shape `examples` as Fuel's vlen source `name`."""
    import h5py

    dtype = examples[0].dtype
    dataset = h5file.create_dataset(
        name, (len(examples),), dtype=h5py.vlen_dtype(dtype)
    )
    for i, example in enumerate(examples):
        dataset[i] = example.ravel()
    dataset.dims[0].label = "batch"
    shapes = h5file.create_dataset(
        f"{name}_shapes", data=numpy.array([e.shape for e in examples], "uint16")
    )
    shapes.make_scale("shapes")
    dataset.dims[0].attach_scale(shapes)
    shape_labels = h5file.create_dataset(
        f"{name}_shape_labels", data=numpy.array(shape_labels, dtype="S")
    )
    shape_labels.make_scale("shape_labels")
    dataset.dims[0].attach_scale(shape_labels)


def idx_bytes(array):
    """The bytes of an IDX file holding a uint8 array."""
    array = numpy.asarray(array, dtype=numpy.uint8)
    header = bytes([0, 0, 0x08, array.ndim])
    header += struct.pack(f">{array.ndim}I", *array.shape)
    return header + array.tobytes()


def write_mnist_gz(directory, n_train=40, n_test=20, seed=0):
    """Write MNIST's four gzipped IDX files; return their arrays."""
    rng = numpy.random.RandomState(seed)
    arrays = {}
    for prefix, n in (("train", n_train), ("t10k", n_test)):
        images = rng.randint(0, 256, size=(n, 28, 28)).astype(numpy.uint8)
        labels = rng.randint(0, 10, size=n).astype(numpy.uint8)
        for kind, array in (("images-idx3", images), ("labels-idx1", labels)):
            with gzip.open(directory / f"{prefix}-{kind}-ubyte.gz", "wb") as f:
                f.write(idx_bytes(array))
        arrays[prefix] = images, labels
    return arrays


def add_pickle(archive, name, value):
    """Add a pickled `value` as member `name` of an open tar archive."""
    content = pickle.dumps(value, protocol=2)
    info = tarfile.TarInfo(name)
    info.size = len(content)
    archive.addfile(info, io.BytesIO(content))


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    """Serves a directory without logging each request."""

    def log_message(self, *args):
        pass


@contextlib.contextmanager
def serve_directory(directory, handler=QuietHandler):
    """Serve `directory` over HTTP on 127.0.0.1; yield the base URL."""
    httpd = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(handler, directory=str(directory))
    )
    thread = threading.Thread(
        target=httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
    )
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()
