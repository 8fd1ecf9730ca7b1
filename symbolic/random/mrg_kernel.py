"""The MRG31k3p generator: constants, stream jumps and the sampling kernels.

L'Ecuyer and Touzin's combined multiple recursive generator, in the int32
arithmetic (with wrap-around overflow) that Theano 1.0 used, so a seed gives
the same numbers as there.  A state is 6 int32 values: three for each
component, modulo ``M1`` and ``M2``.

The sampling kernel here is numpy, vectorized over streams: it is what
``mrg_uniform.perform`` runs.  The C backend lowers ``mrg_uniform`` to a
compiled kernel that gives the same numbers bit for bit.
"""

import numpy

M1 = numpy.asarray(numpy.int32(2147483647))  # 2^31 - 1
M2 = numpy.asarray(numpy.int32(2147462579))  # 2^31 - 21069
MASK12 = numpy.int32(511)  # 2^9 - 1
MASK13 = numpy.int32(16777215)  # 2^24 - 1
MASK2 = numpy.int32(65535)  # 2^16 - 1
MULT2 = numpy.int32(21069)
NORM = 4.656612873077392578125e-10  # 1 / 2^31
NORM_FLOAT32 = numpy.float32(4.6566126e-10)
NORM_FLOAT16 = numpy.float16(3.0458e-05)

# Jump matrices: one component's state advanced by 2^72 (next substream) or
# 2^134 (next stream) steps is this matrix times the state, modulo M1 / M2.
A1p72 = numpy.asarray(
    [
        [1516919229, 758510237, 499121365],
        [1884998244, 1516919229, 335398200],
        [601897748, 1884998244, 358115744],
    ],
    dtype="int64",
)
A2p72 = numpy.asarray(
    [
        [1228857673, 1496414766, 954677935],
        [1133297478, 1407477216, 1496414766],
        [2002613992, 1639496704, 1407477216],
    ],
    dtype="int64",
)
A1p134 = numpy.asarray(
    [
        [1702500920, 1849582496, 1656874625],
        [828554832, 1702500920, 1512419905],
        [1143731069, 828554832, 102237247],
    ],
    dtype="int64",
)
A2p134 = numpy.asarray(
    [
        [796789021, 1464208080, 607337906],
        [1241679051, 1431130166, 1464208080],
        [1401213391, 1178684362, 1431130166],
    ],
    dtype="int64",
)

#: The most samples one call may draw (the limit Theano's kernels had).
MAX_SAMPLES = int(M1)


# Stream jumps ----------------------------------------------------------------
def matVecModM(A, s, m):
    """Return ``A @ s mod m`` as int32, exactly (each product taken mod m first)."""
    A = numpy.asarray(A, dtype="int64")
    s = numpy.asarray(s, dtype="int64")
    return numpy.int32(numpy.sum((A * s) % m, axis=1) % m)


def multMatVect(v, A, m1, B, m2):
    """Jump a 6-value state: its first half by ``A`` mod ``m1``, the rest by ``B``.

    Examples
    --------
    >>> state = numpy.array([12345] * 6, dtype='int32')
    >>> multMatVect(state, A1p72, M1, A2p72, M2).dtype
    dtype('int32')
    """
    v = numpy.asarray(v)
    return numpy.concatenate(
        [matVecModM(A, v[:3], int(m1)), matVecModM(B, v[3:], int(m2))]
    ).astype("int32")


def ff_2p72(rstate):
    """Return ``rstate`` advanced 2^72 steps (the next substream)."""
    return multMatVect(rstate, A1p72, M1, A2p72, M2)


def ff_2p134(rstate):
    """Return ``rstate`` advanced 2^134 steps (the next stream)."""
    return multMatVect(rstate, A1p134, M1, A2p134, M2)


def _matmul_mod(a, b, m):
    return [
        [sum(a[i][k] * b[k][j] for k in range(3)) % m for j in range(3)]
        for i in range(3)
    ]


_jump_powers = []


def _jump_power(k):
    """The 2^72 jump applied 2^k times, for both components (int64 arrays)."""
    while len(_jump_powers) <= k:
        if not _jump_powers:
            a, b = A1p72.tolist(), A2p72.tolist()
        else:
            a, b = _jump_powers[-1]
            a, b = a.tolist(), b.tolist()
            a, b = _matmul_mod(a, a, int(M1)), _matmul_mod(b, b, int(M2))
        _jump_powers.append((numpy.array(a, "int64"), numpy.array(b, "int64")))
    return _jump_powers[k]


def _rows_mod(P, rows, m):
    """``P @ row mod m`` for every row of ``rows`` (int64, exact)."""
    return ((rows[:, None, :] * P[None, :, :]) % m).sum(axis=2) % m


def substream_states(rstate, n_streams):
    """Return an (n_streams, 6) int32 matrix: row i is ``rstate`` jumped i * 2^72.

    Rows are filled by doubling (row 2^k + i is row i jumped 2^k substreams),
    which gives exactly the rows a one-at-a-time chain of ``ff_2p72`` gives.
    """
    n_streams = int(n_streams)
    if n_streams <= 0:
        raise ValueError(f"the number of streams must be positive, got {n_streams}")
    rows = numpy.empty((n_streams, 6), dtype="int64")
    rows[0] = rstate
    filled = 1
    k = 0
    while filled < n_streams:
        count = min(filled, n_streams - filled)
        p1, p2 = _jump_power(k)
        rows[filled : filled + count, :3] = _rows_mod(p1, rows[:count, :3], int(M1))
        rows[filled : filled + count, 3:] = _rows_mod(p2, rows[:count, 3:], int(M2))
        filled += count
        k += 1
    return rows.astype("int32")


# The numpy kernel ------------------------------------------------------------
def _next_states(x11, x12, x13, x21, x22, x23):
    """One MRG31k3p step for every stream (int32 arrays, wrap-around overflow)."""
    m1 = M1[()]
    m2 = M2[()]
    y1 = ((x12 & MASK12) << 22) + (x12 >> 9) + ((x13 & MASK13) << 7) + (x13 >> 24)
    y1 = numpy.where((y1 < 0) | (y1 >= m1), y1 - m1, y1)
    y1 = y1 + x13
    y1 = numpy.where((y1 < 0) | (y1 >= m1), y1 - m1, y1)
    z1 = ((x21 & MASK2) << 15) + MULT2 * (x21 >> 16)
    z1 = numpy.where((z1 < 0) | (z1 >= m2), z1 - m2, z1)
    z2 = ((x23 & MASK2) << 15) + MULT2 * (x23 >> 16)
    z2 = numpy.where((z2 < 0) | (z2 >= m2), z2 - m2, z2)
    z2 = z2 + x23
    z2 = numpy.where((z2 < 0) | (z2 >= m2), z2 - m2, z2)
    z2 = z2 + z1
    z2 = numpy.where((z2 < 0) | (z2 >= m2), z2 - m2, z2)
    return y1, x11, x12, z2, x21, x22


def _to_unit(x11, x21, dtype):
    """Map the two components' first values to (0, 1) in ``dtype``."""
    diff = x11 - x21
    diff = numpy.where(x11 <= x21, diff + M1[()], diff)
    if dtype == "float64":
        return diff * NORM
    if dtype == "float32":
        # As the C kernel: round the integer to float32, multiply in float32.
        return diff.astype("float32") * NORM_FLOAT32
    return ((diff & numpy.int32(0x7FFF)) + 1).astype("float16") * NORM_FLOAT16


def uniform_numpy(rstate, n, dtype):
    """Draw ``n`` samples in (0, 1) from the (n_streams, 6) int32 state, in place.

    Sample i comes from stream ``i % n_streams``, which advances once per
    sample it gives, so the loop runs over steps and is vectorized over streams.
    """
    n_streams = rstate.shape[0]
    cols = [rstate[:, j].copy() for j in range(6)]
    out = numpy.empty(n, dtype=dtype)
    start = 0
    with numpy.errstate(over="ignore"):
        while start < n:
            active = min(n_streams, n - start)
            if active < n_streams:
                cols_now = [c[:active] for c in cols]
            else:
                cols_now = cols
            new = _next_states(*cols_now)
            out[start : start + active] = _to_unit(new[0], new[3], dtype)
            if active < n_streams:
                # Some of ``new`` alias ``cols``: copy before writing back.
                new = [value.copy() for value in new]
                for c, value in zip(cols, new):
                    c[:active] = value
            else:
                cols = list(new)
            start += active
    for j in range(6):
        rstate[:, j] = cols[j]
    return out


def uniform(rstate, n, dtype):
    """Draw ``n`` uniform samples, advancing ``rstate`` in place.

    The numpy kernel (:func:`uniform_numpy`); the C backend runs a compiled
    kernel giving the same numbers (``backends/c/lowering/random.py``).

    Parameters
    ----------
    rstate : ndarray
        (n_streams, 6) int32, C-contiguous; modified in place.
    n : int
    dtype : {'float16', 'float32', 'float64'}
    """
    return uniform_numpy(rstate, n, dtype)
