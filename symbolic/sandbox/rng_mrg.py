"""Theano path ``sandbox.rng_mrg`` (import-only shim over ``symbolic.random.mrg``)."""

from symbolic.random.mrg import (
    DEFAULT_N_STREAMS,
    MRG_RandomStreams,
    guess_n_streams,
    mrg_uniform,
)
from symbolic.random.mrg_kernel import (
    M1,
    M2,
    MASK2,
    MASK12,
    MASK13,
    MULT2,
    NORM,
    A1p72,
    A1p134,
    A2p72,
    A2p134,
    ff_2p72,
    ff_2p134,
    matVecModM,
    multMatVect,
)
from symbolic.random.multinomial import ChoiceFromUniform, MultinomialFromUniform

__all__ = [
    "DEFAULT_N_STREAMS",
    "M1",
    "M2",
    "MASK2",
    "MASK12",
    "MASK13",
    "MULT2",
    "NORM",
    "A1p72",
    "A1p134",
    "A2p72",
    "A2p134",
    "ChoiceFromUniform",
    "MRG_RandomStreams",
    "MultinomialFromUniform",
    "ff_2p72",
    "ff_2p134",
    "guess_n_streams",
    "matVecModM",
    "mrg_uniform",
    "multMatVect",
]
