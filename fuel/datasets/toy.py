"""Small generated datasets: a spiral and a Swiss roll (no files needed)."""

import logging
import math
from collections import OrderedDict

import numpy

from fuel import config
from fuel.datasets.base import IndexableDataset

logger = logging.getLogger(__name__)


class Spiral(IndexableDataset):
    """Points along the arms of a spiral, one arm per class.

    Each point has a position ``p`` drawn uniformly in ``[0, cycles)`` and a
    class ``c``; it lies at radius ``(2p + 1) / 3`` and angle
    ``2 pi p + 2 pi c / classes``, plus Gaussian noise.

    Parameters
    ----------
    num_examples : int, optional
        1000 by default.
    classes : int, optional
        The number of arms; 1 by default.
    cycles : float, optional
        How many turns each arm makes; 1 by default.
    noise : float, optional
        The standard deviation of the noise; 0 by default.
    seed : int, optional
        ``fuel.config.default_seed`` by default.
    **kwargs
        See :class:`.IndexableDataset` (``sources``, ``axis_labels``...).

    Notes
    -----
    Sources ``features`` (float32 ``(n, 2)``: x, y), ``position`` (float64
    ``(n,)``) and ``label`` (int ``(n,)``).

    Examples
    --------
    >>> spiral = Spiral(num_examples=4, classes=2)
    >>> spiral.sources
    ('features', 'position', 'label')
    >>> spiral.get_data(request=[0, 1])[0].shape
    (2, 2)

    """

    def __init__(
        self, num_examples=1000, classes=1, cycles=1.0, noise=0.0, seed=None, **kwargs
    ):
        rng = numpy.random.RandomState(config.default_seed if seed is None else seed)
        position = rng.uniform(low=0, high=cycles, size=num_examples)
        label = rng.randint(low=0, high=classes, size=num_examples)
        radius = (2 * position + 1) / 3.0
        angle = 2 * math.pi * position + label * 2 * math.pi / classes
        features = numpy.zeros((num_examples, 2), dtype=numpy.float32)
        features[:, 0] = radius * numpy.sin(angle)
        features[:, 1] = radius * numpy.cos(angle)
        features += noise * rng.normal(size=(num_examples, 2))
        data = OrderedDict(
            [("features", features), ("position", position), ("label", label)]
        )
        super().__init__(data, **kwargs)


class SwissRoll(IndexableDataset):
    """Points on a Swiss roll: a rolled-up sheet in three dimensions.

    A point at position ``p`` (uniform in [0, 1)) and height ``z``
    (uniform in [-1, 1)) lies at angle ``phi = 1.5 pi (1 + 2p)`` and radius
    ``(1 + 2p) / 3``, plus Gaussian noise.

    Parameters
    ----------
    num_examples : int, optional
        1000 by default.
    noise : float, optional
        The standard deviation of the noise; 0 by default.
    seed : int, optional
        ``fuel.config.default_seed`` by default.
    **kwargs
        See :class:`.IndexableDataset`.

    Notes
    -----
    Sources ``features`` (float32 ``(n, 3)``) and ``position`` (float32
    ``(n, 2)``: p and z).

    """

    def __init__(self, num_examples=1000, noise=0.0, seed=None, **kwargs):
        rng = numpy.random.RandomState(config.default_seed if seed is None else seed)
        position = rng.uniform(low=0, high=1, size=num_examples)
        height = rng.uniform(low=-1, high=1, size=num_examples)
        phi = 1.5 * math.pi * (1 + 2 * position)
        radius = (1 + 2 * position) / 3.0
        features = numpy.zeros((num_examples, 3), dtype=numpy.float32)
        features[:, 0] = radius * numpy.cos(phi)
        features[:, 1] = radius * numpy.sin(phi)
        features[:, 2] = height
        features += noise * rng.normal(size=(num_examples, 3))
        positions = numpy.stack([position, height], axis=1).astype(numpy.float32)
        data = OrderedDict([("features", features), ("position", positions)])
        super().__init__(data, **kwargs)
