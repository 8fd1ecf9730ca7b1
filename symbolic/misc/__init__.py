"""Theano path ``misc`` (import-only shim)."""
