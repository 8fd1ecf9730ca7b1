"""Theano path ``tensor.signal`` (import-only shim)."""

from symbolic.tensor.signal import pool
