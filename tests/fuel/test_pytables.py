import pickle

import numpy
import pytest

tables = pytest.importorskip("tables", reason="PytablesDataset needs PyTables")

from fuel.datasets.hdf5 import PytablesDataset  # noqa: E402


def test_reads_nodes_with_an_offset(tmp_path):
    path = str(tmp_path / "data.h5")
    features = numpy.arange(20.0).reshape(10, 2)
    with tables.open_file(path, "w") as f:
        group = f.create_group("/", "Data")
        f.create_array(group, "x", features)
    dataset = PytablesDataset(path, ("features",), start=2, sources_in_file=("x",))
    assert dataset.num_examples == 8
    numpy.testing.assert_array_equal(
        dataset.get_data(request=slice(0, 2))[0], features[2:4]
    )
    numpy.testing.assert_array_equal(
        dataset.get_data(request=[1, 3])[0], features[[3, 5]]
    )
    copy = pickle.loads(pickle.dumps(dataset))
    numpy.testing.assert_array_equal(copy.get_data(request=[0])[0], features[[2]])
    with pytest.raises(ValueError, match="slice or a list"):
        dataset.get_data(request=1)
    dataset.close_file()
    copy.close_file()
