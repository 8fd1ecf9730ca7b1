"""Converters from the files the downloaders fetch into Fuel's HDF5 layout.

Each submodule defines ``fill_subparser(subparser)``, which adds the
converter's own command-line arguments and returns the function that
converts; ``fuel-convert`` calls it with ``directory``,
``output_directory``, optionally ``output_filename`` and those arguments,
and it returns the paths it wrote.

"""

from fuel.converters import (
    adult,
    binarized_mnist,
    caltech101_silhouettes,
    celeba,
    cifar10,
    cifar100,
    dogs_vs_cats,
    ilsvrc2010,
    ilsvrc2012,
    iris,
    mnist,
    svhn,
    youtube_audio,
)

__version__ = "0.2"

all_converters = (
    ("adult", adult.fill_subparser),
    ("binarized_mnist", binarized_mnist.fill_subparser),
    ("caltech101_silhouettes", caltech101_silhouettes.fill_subparser),
    ("celeba", celeba.fill_subparser),
    ("cifar10", cifar10.fill_subparser),
    ("cifar100", cifar100.fill_subparser),
    ("dogs_vs_cats", dogs_vs_cats.fill_subparser),
    ("ilsvrc2010", ilsvrc2010.fill_subparser),
    ("ilsvrc2012", ilsvrc2012.fill_subparser),
    ("iris", iris.fill_subparser),
    ("mnist", mnist.fill_subparser),
    ("svhn", svhn.fill_subparser),
    ("youtube_audio", youtube_audio.fill_subparser),
)
