"""Transformers: streams that wrap another stream and change its data.

A transformer is itself a data stream. It pulls items from the stream it
wraps (``data_stream``) and transforms each one, or regroups them: batching
examples (:class:`Batch`), splitting batches (:class:`Unpack`), padding
sequences (:class:`Padding`), and so on.

A transformer keeps the child's epoch iterator as an attribute, so a whole
chain of transformers pickles mid-epoch, provided every function it holds
(the `mapping` of a :class:`Mapping`, the `predicate` of a :class:`Filter`)
is a module-level function or a picklable object, not a lambda.

Examples
--------
>>> import numpy
>>> from fuel.datasets import IndexableDataset
>>> from fuel.schemes import SequentialScheme
>>> from fuel.streams import DataStream
>>> dataset = IndexableDataset({"x": numpy.ones((4, 2, 2), dtype="uint8")})
>>> stream = Flatten(DataStream(dataset, iteration_scheme=SequentialScheme(4, 4)))
>>> next(stream.get_epoch_iterator())[0].shape
(4, 4)

"""

from fuel.transformers.background import BackgroundProcess, MultiProcessing
from fuel.transformers.base import (
    AgnosticSourcewiseTransformer,
    AgnosticTransformer,
    ExpectsAxisLabels,
    SourcewiseTransformer,
    Transformer,
)
from fuel.transformers.batching import Batch, Cache, Merge, Padding, Unpack
from fuel.transformers.simple import (
    Cast,
    Filter,
    FilterSources,
    Flatten,
    ForceFloatX,
    Mapping,
    Rename,
    ScaleAndShift,
    SortMapping,
)

__all__ = [
    "AgnosticSourcewiseTransformer",
    "AgnosticTransformer",
    "BackgroundProcess",
    "Batch",
    "Cache",
    "Cast",
    "ExpectsAxisLabels",
    "Filter",
    "FilterSources",
    "Flatten",
    "ForceFloatX",
    "Mapping",
    "Merge",
    "MultiProcessing",
    "Padding",
    "Rename",
    "ScaleAndShift",
    "SortMapping",
    "SourcewiseTransformer",
    "Transformer",
    "Unpack",
]
