"""Theano path ``misc.safe_asarray`` (import-only shim)."""

from symbolic.utils.arrays import _asarray
