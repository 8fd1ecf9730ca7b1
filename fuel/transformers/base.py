"""The transformer base classes: a transformer is a stream that wraps a stream."""

import logging
from collections import defaultdict

from fuel.exceptions import AxisLabelsMismatchError
from fuel.streams import AbstractDataStream

logger = logging.getLogger(__name__)

_KINDS = {True: "examples", False: "batches"}


def copy_labels(data_stream, kwargs):
    """Default ``kwargs['axis_labels']`` to a copy of the stream's labels."""
    if "axis_labels" not in kwargs and data_stream.axis_labels:
        kwargs["axis_labels"] = dict(data_stream.axis_labels)
    return kwargs


class Transformer(AbstractDataStream):
    """The base of all transformers.

    Subclasses implement :meth:`transform_example` and/or
    :meth:`transform_batch`, or override :meth:`get_data` when they regroup
    items.

    Parameters
    ----------
    data_stream : AbstractDataStream
        The stream to wrap.
    produces_examples : bool, optional
        Whether this transformer yields examples or batches. Defaults to what
        the wrapped stream yields (or to the iteration scheme, if given).
    iteration_scheme : IterationScheme, optional
        Only for transformers that take requests, such as :class:`Batch`.
    axis_labels : dict, optional
        None by default, as in Fuel: a transformer may change the axes, so
        the wrapped stream's labels are not inherited. The transformers that
        keep the axes (:class:`.Cast`, :class:`.ScaleAndShift`...) copy them.

    """

    def __init__(self, data_stream, produces_examples=None, **kwargs):
        if produces_examples is None and kwargs.get("iteration_scheme") is None:
            produces_examples = data_stream.produces_examples
        super().__init__(produces_examples=produces_examples, **kwargs)
        self.data_stream = data_stream

    @property
    def sources(self):
        if "_sources" in self.__dict__:
            return self._sources
        return self.data_stream.sources

    @sources.setter
    def sources(self, value):
        self._sources = tuple(value)

    def close(self):
        self.data_stream.close()

    def reset(self):
        self.data_stream.reset()

    def next_epoch(self):
        self.data_stream.next_epoch()

    def get_epoch_iterator(self, **kwargs):
        self.child_epoch_iterator = self.data_stream.get_epoch_iterator()
        return super().get_epoch_iterator(**kwargs)

    def get_data(self, request=None):
        if request is not None:
            raise ValueError(
                f"{type(self).__name__} takes no requests, got {request!r}"
            )
        data = next(self.child_epoch_iterator)
        if self.produces_examples != self.data_stream.produces_examples:
            raise NotImplementedError(
                f"{type(self).__name__} yields "
                f"{_KINDS[self.produces_examples]} but wraps a stream of "
                f"{_KINDS[self.data_stream.produces_examples]}, and cannot "
                f"convert between them"
            )
        if self.produces_examples:
            return self.transform_example(data)
        return self.transform_batch(data)

    def transform_example(self, example):
        """Transform one example, a tuple ordered like the child's sources."""
        raise NotImplementedError(f"{type(self).__name__} does not transform examples")

    def transform_batch(self, batch):
        """Transform one batch, a tuple ordered like the child's sources."""
        raise NotImplementedError(f"{type(self).__name__} does not transform batches")


class AgnosticTransformer(Transformer):
    """A transformer that treats examples and batches alike.

    Subclasses implement :meth:`transform_any`.

    """

    def transform_any(self, data):
        """Transform one item, example or batch."""
        raise NotImplementedError(f"{type(self).__name__} must implement transform_any")

    def transform_example(self, example):
        return self.transform_any(example)

    def transform_batch(self, batch):
        return self.transform_any(batch)


def check_which_sources(which_sources, data_stream, owner):
    if which_sources is None:
        return tuple(data_stream.sources)
    if isinstance(which_sources, str):
        raise TypeError(
            f"{owner} expects which_sources to be a tuple of source names, "
            f"such as ({which_sources!r},), not a string"
        )
    which_sources = tuple(which_sources)
    missing = [s for s in which_sources if s not in data_stream.sources]
    if missing:
        raise ValueError(
            f"{owner} was asked to transform source "
            f"{', '.join(map(repr, missing))}, but the stream it wraps has "
            f"only {tuple(data_stream.sources)}"
        )
    return which_sources


class SourcewiseTransformer(Transformer):
    """A transformer that changes some sources, each on its own.

    Subclasses implement :meth:`transform_source_example` and/or
    :meth:`transform_source_batch`.

    Parameters
    ----------
    data_stream : AbstractDataStream
        The stream to wrap.
    produces_examples : bool
        See :class:`Transformer`.
    which_sources : tuple of str, optional
        The sources to transform; the others pass through. All by default.

    """

    def __init__(self, data_stream, produces_examples, which_sources=None, **kwargs):
        self.which_sources = check_which_sources(
            which_sources, data_stream, type(self).__name__
        )
        super().__init__(data_stream, produces_examples, **kwargs)

    def _apply_sourcewise(self, data, method):
        data = list(data)
        for i, source in enumerate(self.data_stream.sources):
            if source in self.which_sources:
                data[i] = method(data[i], source)
        return tuple(data)

    def transform_source_example(self, source_example, source_name):
        """Transform the data of one source of one example."""
        raise NotImplementedError(f"{type(self).__name__} does not transform examples")

    def transform_source_batch(self, source_batch, source_name):
        """Transform the data of one source of one batch."""
        raise NotImplementedError(f"{type(self).__name__} does not transform batches")

    def transform_example(self, example):
        return self._apply_sourcewise(example, self.transform_source_example)

    def transform_batch(self, batch):
        return self._apply_sourcewise(batch, self.transform_source_batch)


class AgnosticSourcewiseTransformer(AgnosticTransformer, SourcewiseTransformer):
    """A sourcewise transformer that treats examples and batches alike.

    Subclasses implement :meth:`transform_any_source`.

    """

    def transform_any_source(self, source_data, source_name):
        """Transform the data of one source, example or batch."""
        raise NotImplementedError(
            f"{type(self).__name__} must implement transform_any_source"
        )

    def transform_any(self, data):
        return self._apply_sourcewise(data, self.transform_any_source)


class ExpectsAxisLabels:
    """Mixin for transformers that need their input's axes in a given order.

    :meth:`verify_axis_labels` checks a source's labels once and remembers
    that it passed.

    """

    def verify_axis_labels(self, expected, actual, source_name):
        """Check that `source_name` has the axis labels `expected`.

        Parameters
        ----------
        expected : tuple of str
            The labels the transformer needs.
        actual : tuple of str or None
            The labels the stream declares. None (no labels) passes with a
            warning, since the data may well be laid out right.
        source_name : str
            The source, for the message.

        Raises
        ------
        AxisLabelsMismatchError
            If `actual` differs from `expected`.

        """
        checked = self.__dict__.setdefault("_checked_axis_labels", defaultdict(bool))
        if checked[source_name]:
            return
        if actual is None:
            logger.warning(
                "%s expects the axes %s for source %r, but the stream declares "
                "no axis labels; carrying on as if they matched",
                type(self).__name__,
                expected,
                source_name,
            )
        elif tuple(actual) != tuple(expected):
            raise AxisLabelsMismatchError(
                f"{type(self).__name__} expects the axes {tuple(expected)} for "
                f"source {source_name!r}, but the stream declares {tuple(actual)}"
            )
        checked[source_name] = True

    def source_axis_labels(self, source_name):
        """The wrapped stream's labels for `source_name`, or None if it has none."""
        labels = self.data_stream.axis_labels
        if not labels:
            return None
        return labels.get(source_name)
