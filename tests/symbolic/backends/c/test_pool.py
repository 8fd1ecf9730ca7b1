"""The runtime's thread pool: which thread runs which part of a job."""

import os

import pytest

from symbolic.backends.c.runtime import runtime

pytestmark = pytest.mark.skipif(
    not runtime.available(), reason="the C runtime cannot be built here"
)


@pytest.mark.skipif(
    len(os.sched_getaffinity(0)) < 2, reason="needs two CPUs for two threads at once"
)
def test_each_thread_runs_its_own_part_first():
    """Part 0 on the caller and part k on worker k, job after job.

    Back-to-back jobs split the same way (a product, then the update that
    reads it) then find each share of the data in the cache of the core that
    wrote it.  A thread the OS has not scheduled in time leaves its part to
    another (a virtual CPU that was idle can take milliseconds to run the
    worker), so the best of a few rounds counts; with parts that keep a
    thread busy for 20 microseconds, nearly all its jobs must match.
    """
    module = runtime.load()
    module.set_threads(2)
    try:
        rounds = [module.pool_affinity(1000) for _ in range(6)]
    finally:
        module.set_threads(runtime.kernel_threads())
    assert max(rounds) >= 990, rounds
