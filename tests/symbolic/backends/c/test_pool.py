"""The runtime's thread pool: which part of a job each thread claims."""

import pytest

from symbolic.backends.c.runtime import runtime

pytestmark = pytest.mark.skipif(
    not runtime.available(), reason="the C runtime cannot be built here"
)


def test_each_thread_claims_its_own_part_first():
    """The caller claims part 0 and worker k part k while unclaimed, so
    back-to-back jobs split the same way (a product, then the update that
    reads it) find each share of the data in the cache of the core that
    wrote it; a thread whose part is taken helps with the first one left."""
    pick = runtime.load().pool_pick
    assert pick(0b11, 0) == 0
    assert pick(0b11, 1) == 1
    assert pick(0b1110, 0) == 1  # the caller's part is taken
    assert pick(0b0101, 1) == 0  # worker 1's part is taken
    assert pick(0b1000, 2) == 3
    assert pick(1 << 15 | 1 << 9, 9) == 9
    assert pick(1 << 15, 9) == 15


@pytest.mark.parametrize("left, own", [(0, 0), (-1, 0), (1 << 16, 0), (1, 16), (1, -1)])
def test_pick_refuses_what_no_job_has(left, own):
    with pytest.raises(ValueError, match="non-empty mask of parts"):
        runtime.load().pool_pick(left, own)
