"""Datasets: the generic in-memory ones, HDF5 files and the standard benchmarks.

The classes read from HDF5 files need h5py (the ``hdf5`` extra) only when
they are used.

"""

from fuel.datasets.adult import Adult
from fuel.datasets.base import Dataset, IndexableDataset, IterableDataset
from fuel.datasets.billion import OneBillionWord
from fuel.datasets.binarized_mnist import BinarizedMNIST
from fuel.datasets.caltech101_silhouettes import CalTech101Silhouettes
from fuel.datasets.celeba import CelebA
from fuel.datasets.cifar10 import CIFAR10
from fuel.datasets.cifar100 import CIFAR100
from fuel.datasets.digits import Digits
from fuel.datasets.dogs_vs_cats import DogsVsCats
from fuel.datasets.hdf5 import H5PYDataset
from fuel.datasets.iris import Iris
from fuel.datasets.mnist import MNIST
from fuel.datasets.split import SplitDataset
from fuel.datasets.svhn import SVHN
from fuel.datasets.text import TextFile

__all__ = [
    "CIFAR10",
    "CIFAR100",
    "MNIST",
    "SVHN",
    "Adult",
    "BinarizedMNIST",
    "CalTech101Silhouettes",
    "CelebA",
    "Dataset",
    "Digits",
    "DogsVsCats",
    "H5PYDataset",
    "IndexableDataset",
    "Iris",
    "IterableDataset",
    "OneBillionWord",
    "SplitDataset",
    "TextFile",
]
