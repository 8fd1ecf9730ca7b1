"""Theano path ``tests.unittest_tools`` (import-only shim over ``symbolic.testing``)."""

from symbolic.testing import (
    InferShapeTester,
    MockRandomState,
    WrongValue,
    assert_allclose,
    fetch_seed,
    seed_rng,
    verify_grad,
)
