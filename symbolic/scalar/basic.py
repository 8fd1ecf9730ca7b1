"""Theano path ``scalar.basic`` (import-only shim)."""
# ruff: noqa: F403

from symbolic.ops.scalar.basic import *
from symbolic.ops.scalar.math import *
