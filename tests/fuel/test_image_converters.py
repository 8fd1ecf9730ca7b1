"""Converters that decode images (Pillow), on small generated archives."""

import io
import zipfile

import numpy
import pytest

h5py = pytest.importorskip("h5py", reason="the converters write HDF5 files")
Image = pytest.importorskip("PIL.Image", reason="these converters decode images")

from fuel.converters import celeba, dogs_vs_cats  # noqa: E402
from fuel.converters.base import MissingInputFiles  # noqa: E402
from fuel.datasets.hdf5 import H5PYDataset  # noqa: E402


@pytest.fixture(autouse=True)
def close_shared_handles():
    yield
    for path in list(H5PYDataset._file_handles):
        H5PYDataset._file_handles.pop(path).close()
        H5PYDataset._ref_counts.pop(path, None)


def encoded(pixels, format_):
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format=format_)
    return buffer.getvalue()


def decoded(data):
    return numpy.asarray(Image.open(io.BytesIO(data)).convert("RGB")).transpose(2, 0, 1)


def test_dogs_vs_cats(tmp_path):
    rng = numpy.random.RandomState(0)
    train, test = {}, {}
    with zipfile.ZipFile(tmp_path / dogs_vs_cats.TRAIN, "w") as archive:
        archive.writestr("train/", b"")
        for i, animal in enumerate(["cat", "dog", "cat", "dog", "dog"]):
            name = f"train/{animal}.{i}.png"
            train[name] = rng.randint(0, 256, (3 + i, 4, 3)).astype(numpy.uint8)
            archive.writestr(name, encoded(train[name], "PNG"))
    with zipfile.ZipFile(tmp_path / dogs_vs_cats.TEST, "w") as archive:
        for number in (10, 2, 1):
            name = f"test1/{number}.png"
            test[number] = rng.randint(0, 256, (2, number, 3)).astype(numpy.uint8)
            archive.writestr(name, encoded(test[number], "PNG"))
    (path,) = dogs_vs_cats.convert_dogs_vs_cats(str(tmp_path), str(tmp_path))
    names = list(train)  # the order of the archive
    numpy.random.RandomState(dogs_vs_cats.SHUFFLE_SEED).shuffle(names)
    dataset = H5PYDataset(path, which_sets=("train",))
    assert dataset.axis_labels["image_features"] == (
        "batch",
        "channel",
        "height",
        "width",
    )
    images, targets = dataset.get_data(request=list(range(5)))
    for image, target, name in zip(images, targets, names):
        numpy.testing.assert_array_equal(image, train[name].transpose(2, 0, 1))
        assert target[0] == (0 if "cat" in name else 1)
    test_set = H5PYDataset(path, which_sets=("test",))
    assert test_set.sources == ("image_features",)
    (images,) = test_set.get_data(request=[0, 1, 2])
    for image, number in zip(images, (1, 2, 10)):
        numpy.testing.assert_array_equal(image, test[number].transpose(2, 0, 1))


def test_celeba_both_formats(tmp_path, monkeypatch):
    count = 5
    monkeypatch.setattr(celeba, "NUM_EXAMPLES", count)
    monkeypatch.setattr(celeba, "TRAIN_STOP", 3)
    monkeypatch.setattr(celeba, "VALID_STOP", 4)
    rng = numpy.random.RandomState(0)
    attributes = rng.choice([-1, 1], size=(count, 40))
    lines = [str(count), " ".join(f"attr{k}" for k in range(40))]
    lines += [
        f"{i + 1:06d}.jpg " + " ".join(map(str, row))
        for i, row in enumerate(attributes)
    ]
    (tmp_path / celeba.ATTRIBUTES_FILE).write_text("\n".join(lines) + "\n")
    jpegs = []
    with zipfile.ZipFile(tmp_path / celeba.IMAGE_FILE, "w") as archive:
        for i in range(count):
            pixels = rng.randint(0, 256, (218, 178, 3)).astype(numpy.uint8)
            jpegs.append(encoded(pixels, "JPEG"))
            archive.writestr(f"img_align_celeba/{i + 1:06d}.jpg", jpegs[-1])
    (path,) = celeba.convert_celeba("aligned_cropped", str(tmp_path), str(tmp_path))
    valid = H5PYDataset(path, which_sets=("valid",))
    features, targets = valid.get_data(request=[0])
    numpy.testing.assert_array_equal(features[0], decoded(jpegs[3]))
    numpy.testing.assert_array_equal(targets[0], (attributes[3] + 1) // 2)
    assert valid.axis_labels["targets"] == ("batch", "target")
    (path,) = celeba.convert_celeba("64", str(tmp_path), str(tmp_path))
    assert path.endswith("celeba_64.hdf5")
    test = H5PYDataset(path, which_sets=("test",))
    (features,) = test.get_data(request=[0])[:1]
    face = Image.open(io.BytesIO(jpegs[4]))
    expected = face.resize((64, 78), Image.LANCZOS).crop((0, 7, 64, 71))
    numpy.testing.assert_array_equal(
        features[0], numpy.asarray(expected.convert("RGB")).transpose(2, 0, 1)
    )
    with pytest.raises(ValueError, match="aligned_cropped"):
        celeba.convert_celeba("32", str(tmp_path), str(tmp_path))
    with pytest.raises(MissingInputFiles):
        celeba.convert_celeba("64", str(tmp_path / "nowhere"), str(tmp_path))


def write_digit_struct(path, boxes_per_image):
    """A MATLAB 7.3 digitStruct.mat: per image, references to its box fields."""
    with h5py.File(path, "w") as f:
        references = []
        for k, boxes in enumerate(boxes_per_image):
            group = f.create_group(f"#refs#/box{k}")
            for field in ("height", "label", "left", "top", "width"):
                values = [box[field] for box in boxes]
                if len(values) == 1:
                    group[field] = numpy.array([[values[0]]], dtype=float)
                    continue
                cells = []
                for j, value in enumerate(values):
                    cell = f.create_dataset(
                        f"#refs#/box{k}_{field}{j}", data=numpy.array([[value]], float)
                    )
                    cells.append([cell.ref])
                group.create_dataset(
                    field, data=numpy.array(cells, dtype=h5py.ref_dtype)
                )
            references.append([group.ref])
        f.create_dataset(
            "digitStruct/bbox", data=numpy.array(references, dtype=h5py.ref_dtype)
        )


def test_svhn_format_1(tmp_path):
    import tarfile

    from fuel.converters import svhn

    rng = numpy.random.RandomState(0)
    written = {}
    for split in svhn.SPLITS:
        folder = tmp_path / "unpacked" / split
        folder.mkdir(parents=True)
        images = [
            rng.randint(0, 256, (5 + k, 7, 3)).astype(numpy.uint8) for k in range(2)
        ]
        boxes = [
            [{"height": 4, "label": 10, "left": 1, "top": -2, "width": 3}],
            [
                {"height": 5, "label": 3, "left": 0, "top": 1, "width": 2},
                {"height": 6, "label": 7, "left": 2, "top": 0, "width": 2},
            ],
        ]
        for k, image in enumerate(images):
            Image.fromarray(image).save(folder / f"{k + 1}.png")
        write_digit_struct(folder / "digitStruct.mat", boxes)
        with tarfile.open(tmp_path / f"{split}.tar.gz", "w:gz") as archive:
            archive.add(folder, arcname=split)
        written[split] = images
    (path,) = svhn.convert_svhn(1, str(tmp_path), str(tmp_path))
    assert path.endswith("svhn_format_1.hdf5")
    test = H5PYDataset(path, which_sets=("test",))
    assert test.axis_labels["bbox_lefts"] == ("batch", "bounding_box", "x")
    assert set(test.vlen_sources) == set(test.sources)
    data = dict(zip(test.sources, test.get_data(request=[0, 1])))
    numpy.testing.assert_array_equal(
        data["features"][1], written["test"][1].transpose(2, 0, 1)
    )
    numpy.testing.assert_array_equal(data["bbox_labels"][0], [[0]])
    numpy.testing.assert_array_equal(data["bbox_tops"][0], [[0]])
    numpy.testing.assert_array_equal(data["bbox_labels"][1], [[3], [7]])
    numpy.testing.assert_array_equal(data["bbox_heights"][1], [[5], [6]])
    assert data["bbox_heights"][1].dtype == numpy.uint16
    assert H5PYDataset(path, which_sets=("extra",)).num_examples == 2
