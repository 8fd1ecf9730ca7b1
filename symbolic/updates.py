"""Theano path ``updates`` (import-only shim)."""

from symbolic.utils.updates import OrderedUpdates
