"""Theano path ``gof.optdb`` (import-only shim)."""

from symbolic.rewriting.optdb import OptimizationDatabase, PhaseDB, Query

DB = OptimizationDatabase
SequenceDB = OptimizationDatabase
EquilibriumDB = PhaseDB
