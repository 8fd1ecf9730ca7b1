"""Downloaders of the files each dataset's converter reads.

Each submodule defines ``fill_subparser(subparser)``, which adds the
downloader's own command-line arguments (or sets the ``urls`` and
``filenames`` defaults) and returns the function that downloads;
``fuel-download`` calls it with ``directory``, ``clear`` and those
arguments.

"""

from fuel.downloaders import (
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

all_downloaders = (
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
