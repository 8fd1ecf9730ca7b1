"""Theano path ``tensor.raw_random`` (import-only shim)."""

from symbolic.random.numpy_streams import (
    RandomFunction,
    RandomStateType,
    binomial,
    choice,
    multinomial,
    normal,
    permutation,
    poisson,
    random_integers,
    random_state_type,
    uniform,
)

__all__ = [
    "RandomFunction",
    "RandomStateType",
    "binomial",
    "choice",
    "multinomial",
    "normal",
    "permutation",
    "poisson",
    "random_integers",
    "random_state_type",
    "uniform",
]
