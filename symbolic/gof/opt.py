"""Theano path ``gof.opt`` (import-only shim over ``symbolic.rewriting``)."""

from symbolic.rewriting.optimizers import *
