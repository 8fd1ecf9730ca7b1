"""The ImageNet converters, on tiny archives in the layout of the real ones."""

import io
import tarfile

import numpy
import pytest

h5py = pytest.importorskip("h5py", reason="the converters write HDF5 files")
scipy_io = pytest.importorskip("scipy.io")

from fuel.converters import ilsvrc2012  # noqa: E402
from fuel.converters.base import MissingInputFiles  # noqa: E402
from fuel.datasets.hdf5 import H5PYDataset  # noqa: E402


@pytest.fixture(autouse=True)
def close_shared_handles():
    yield
    for path in list(H5PYDataset._file_handles):
        H5PYDataset._file_handles.pop(path).close()
        H5PYDataset._ref_counts.pop(path, None)


def add_bytes(archive, name, data):
    info = tarfile.TarInfo(name)
    info.size = len(data)
    archive.addfile(info, io.BytesIO(data))


def tar_bytes(files):
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        for name, data in files.items():
            add_bytes(archive, name, data)
    return buffer.getvalue()


def meta_mat(synsets, id_field):
    table = numpy.zeros(
        (len(synsets), 1),
        dtype=[(id_field, "O"), ("WNID", "O"), ("num_train_images", "O")],
    )
    for i, (wnid, count) in enumerate(synsets):
        table[i, 0] = (
            numpy.array([[i + 1]]),
            numpy.array([wnid]),
            numpy.array([[count]]),
        )
    buffer = io.BytesIO()
    scipy_io.savemat(buffer, {"synsets": table})
    return buffer.getvalue()


def test_ilsvrc2012(tmp_path, monkeypatch):
    monkeypatch.setattr(ilsvrc2012, "NUM_CLASSES", 2)
    # Two classes (and a parent synset that is no class).
    synsets = [("n001", 2), ("n002", 1), ("n100", 0)]
    with tarfile.open(tmp_path / ilsvrc2012.DEVKIT_ARCHIVE, "w:gz") as devkit:
        add_bytes(
            devkit, ilsvrc2012.DEVKIT_META_PATH, meta_mat(synsets, "ILSVRC2012_ID")
        )
        add_bytes(devkit, ilsvrc2012.DEVKIT_VALID_GROUNDTRUTH_PATH, b"2\n1\n")
    train = {
        "n001": {"n001_2.JPEG": b"\xff\xd8cat two", "n001_1.JPEG": b"\xff\xd8cat one"},
        "n002": {"n002_1.JPEG": b"\xff\xd8dog"},
    }
    with tarfile.open(tmp_path / ilsvrc2012.TRAIN_IMAGES_TAR, "w") as outer:
        for wnid, files in train.items():
            add_bytes(outer, f"{wnid}.tar", tar_bytes(files))
    valid = {
        "ILSVRC2012_val_00000002.JPEG": b"\xff\xd8second",
        "ILSVRC2012_val_00000001.JPEG": b"\xff\xd8first",
    }
    with tarfile.open(tmp_path / ilsvrc2012.VALID_IMAGES_TAR, "w") as archive:
        for name, data in valid.items():
            add_bytes(archive, name, data)
    with tarfile.open(tmp_path / ilsvrc2012.TEST_IMAGES_TAR, "w") as archive:
        add_bytes(archive, "ILSVRC2012_test_00000001.JPEG", b"\xff\xd8test")
    (path,) = ilsvrc2012.convert_ilsvrc2012(
        str(tmp_path), str(tmp_path), shuffle_seed=4
    )

    order = numpy.random.RandomState(4).permutation(3)
    read_order = [
        ("n001_1.JPEG", 0, b"\xff\xd8cat one"),
        ("n001_2.JPEG", 0, b"\xff\xd8cat two"),
        ("n002_1.JPEG", 1, b"\xff\xd8dog"),
    ]
    train_set = H5PYDataset(path, which_sets=("train",))
    assert train_set.sources == ("encoded_images", "filenames", "targets")
    images, names, targets = train_set.get_data(request=[0, 1, 2])
    for (name, target, data), row in zip(read_order, order):
        assert images[row].tobytes() == data
        assert names[row, 0] == name.encode()
        assert targets[row, 0] == target
    images, names, targets = H5PYDataset(path, which_sets=("valid",)).get_data(
        request=[0, 1]
    )
    assert [image.tobytes() for image in images] == [
        b"\xff\xd8first",
        b"\xff\xd8second",
    ]
    numpy.testing.assert_array_equal(targets[:, 0], [1, 0])
    test_set = H5PYDataset(path, which_sets=("test",))
    assert test_set.sources == ("encoded_images", "filenames")
    assert test_set.get_data(request=[0])[0][0].tobytes() == b"\xff\xd8test"


def test_ilsvrc2012_checks_its_inputs(tmp_path):
    with pytest.raises(MissingInputFiles) as error:
        ilsvrc2012.convert_ilsvrc2012(str(tmp_path), str(tmp_path))
    assert error.value.filenames == list(ilsvrc2012.ALL_FILES)


def test_ilsvrc2010_with_patches_and_test_labels(tmp_path, monkeypatch):
    from fuel.converters import ilsvrc2010

    monkeypatch.setattr(ilsvrc2012, "NUM_CLASSES", 2)
    synsets = [("n001", 1), ("n002", 1)]
    with tarfile.open(tmp_path / ilsvrc2010.DEVKIT_ARCHIVE, "w:gz") as devkit:
        add_bytes(
            devkit, ilsvrc2010.DEVKIT_META_PATH, meta_mat(synsets, "ILSVRC2010_ID")
        )
        add_bytes(devkit, ilsvrc2010.DEVKIT_VALID_GROUNDTRUTH_PATH, b"1\n")
    (tmp_path / ilsvrc2010.TEST_GROUNDTRUTH).write_text("2\n")
    with tarfile.open(tmp_path / ilsvrc2010.TRAIN_IMAGES_TAR, "w") as outer:
        add_bytes(outer, "n001.tar", tar_bytes({"a.JPEG": b"old a"}))
        add_bytes(outer, "n002.tar", tar_bytes({"b.JPEG": b"b"}))
    with tarfile.open(tmp_path / ilsvrc2010.VALID_IMAGES_TAR, "w") as archive:
        add_bytes(archive, "v.JPEG", b"old v")
    with tarfile.open(tmp_path / ilsvrc2010.TEST_IMAGES_TAR, "w") as archive:
        add_bytes(archive, "t.JPEG", b"t")
    with tarfile.open(tmp_path / ilsvrc2010.PATCH_IMAGES_TAR, "w") as archive:
        add_bytes(archive, "train/a.JPEG", b"new a")
        add_bytes(archive, "val/v.JPEG", b"new v")
    (path,) = ilsvrc2010.convert_ilsvrc2010(str(tmp_path), str(tmp_path))
    train = H5PYDataset(path, which_sets=("train",))
    images, names, targets = train.get_data(request=[0, 1])
    stored = {n[0]: (i.tobytes(), t[0]) for i, n, t in zip(images, names, targets)}
    assert stored == {b"a.JPEG": (b"new a", 0), b"b.JPEG": (b"b", 1)}
    valid = H5PYDataset(path, which_sets=("valid",)).get_data(request=[0])
    assert valid[0][0].tobytes() == b"new v"
    test = H5PYDataset(path, which_sets=("test",))
    assert test.sources == ("encoded_images", "filenames", "targets")
    assert test.get_data(request=[0])[2][0, 0] == 1
    for handle in H5PYDataset._file_handles.values():
        handle.close()
    H5PYDataset._file_handles.clear()
    H5PYDataset._ref_counts.clear()
    with tarfile.open(tmp_path / ilsvrc2010.PATCH_IMAGES_TAR, "a") as archive:
        add_bytes(archive, "test/missing.JPEG", b"?")
    with pytest.raises(ValueError, match=r"missing\.JPEG"):
        ilsvrc2010.convert_ilsvrc2010(str(tmp_path), str(tmp_path))
