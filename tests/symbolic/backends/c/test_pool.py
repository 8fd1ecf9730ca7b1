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


def test_deal_gives_each_part_its_own_slots_front_to_back():
    """Eight slots over two parts: part 0 owns 0-3 and part 1 owns 4-7, and
    each takes its own in order while it has any."""
    claims = runtime.load().pool_deal_claims
    in_turn = [0, 1] * 5
    assert claims(8, 2, in_turn) == [0, 4, 1, 5, 2, 6, 3, 7, -1, -1]


def test_deal_lets_a_fast_part_take_the_last_slots_of_a_slow_one():
    """Part 1 (a core slowed by other work) claims once; part 0 then does
    its own four and takes part 1's from the back, leaving part 1 the slot
    next to the one it started, until none is left for anyone."""
    claims = runtime.load().pool_deal_claims
    got = claims(8, 2, [1, 0, 0, 0, 0, 0, 0, 1, 0, 1])
    assert got == [4, 0, 1, 2, 3, 7, 6, 5, -1, -1]
    # Three parts, uneven shares (7 slots: 0-1, 2-3, 4-6): part 2 steals
    # from part 0 first, then from part 1.
    assert claims(7, 3, [2, 2, 2, 2, 2, 2, 2, 2]) == [4, 5, 6, 1, 0, 3, 2, -1]


def test_deal_of_no_slots_and_bad_arguments():
    claims = runtime.load().pool_deal_claims
    assert claims(0, 2, [0, 1]) == [-1, -1]
    with pytest.raises(ValueError, match="1 to 16 parts"):
        claims(4, 0, [])
    with pytest.raises(ValueError, match="claimer 2 is not one of the 2 parts"):
        claims(4, 2, [2])
