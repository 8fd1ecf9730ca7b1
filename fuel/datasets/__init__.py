"""Datasets: the generic in-memory ones and the standard benchmarks."""

from fuel.datasets.base import Dataset, IndexableDataset, IterableDataset
from fuel.datasets.cifar10 import CIFAR10
from fuel.datasets.digits import Digits
from fuel.datasets.mnist import MNIST
from fuel.datasets.split import SplitDataset
from fuel.datasets.text import TextFile

__all__ = [
    "CIFAR10",
    "MNIST",
    "Dataset",
    "Digits",
    "IndexableDataset",
    "IterableDataset",
    "SplitDataset",
    "TextFile",
]
