"""Theano path ``sandbox`` (import-only shim package)."""

from symbolic.sandbox import rng_mrg

__all__ = ["rng_mrg"]
