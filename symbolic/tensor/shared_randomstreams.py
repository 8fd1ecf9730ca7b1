"""Theano path ``tensor.shared_randomstreams`` (import-only shim)."""

from symbolic.random.numpy_streams import (
    RandomStateSharedVariable,
    RandomStreams,
    randomstate_constructor,
)

__all__ = ["RandomStateSharedVariable", "RandomStreams", "randomstate_constructor"]
