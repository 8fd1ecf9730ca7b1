"""Theano path ``tests`` (import-only shim): helpers for Theano-era test suites."""
