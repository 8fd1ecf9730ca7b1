"""Theano path ``compat`` (import-only shim over ``symbolic.utils.compat``)."""

from symbolic.utils.compat import *
from symbolic.utils.compat import __all__
