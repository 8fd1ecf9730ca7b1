"""scan_checkpoints: a scan that keeps one state in ``save_every_N``.

The loop runs as an outer scan over chunks of ``save_every_N`` steps, each
chunk an inner scan started from the state the previous chunk ended in.
Only the chunks' last states are stored, so the gradient keeps
``n_steps / save_every_N`` states instead of ``n_steps``, and recomputes the
steps inside each chunk from its first state.
"""

from symbolic import ops
from symbolic.scan.basic import scan
from symbolic.types.tensor import constant

__all__ = ["scan_checkpoints"]


def _as_list(value):
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


def scan_checkpoints(
    fn,
    sequences=None,
    outputs_info=None,
    non_sequences=None,
    name="checkpointscan_fn",
    n_steps=None,
    save_every_N=10,
    padding=True,
):
    """Scan that stores the outputs of every ``save_every_N``-th step only.

    Parameters
    ----------
    fn, sequences, outputs_info, non_sequences, n_steps
        As for :func:`~symbolic.scan.basic.scan`, with these limits: every
        sequence has ``n_steps`` entries (``n_steps`` defaults to the first
        sequence's length); an ``outputs_info`` entry is None (an output
        that is not fed back) or an initial state without taps.
    name : str
        Base name of the two loops (``name + "_outer"``, ``name + "_inner"``).
    save_every_N : int
        Steps per chunk: the loop stores one output row per chunk.
    padding : bool
        Pad the sequences with zeros to a whole number of chunks (a copy of
        each).  With False, ``n_steps`` must be a multiple of
        ``save_every_N``.

    Returns
    -------
    (outputs, updates)
        As ``scan`` returns them, except that each output has one row per
        chunk: the value after its last step (row ``k`` is the step
        ``min((k + 1) * save_every_N, n_steps) - 1`` of the plain scan).

    Examples
    --------
    >>> import numpy, symbolic, symbolic.tensor as T
    >>> x = T.dvector('x')
    >>> sums, _ = scan_checkpoints(lambda v, acc: acc + v, sequences=x,
    ...                            outputs_info=T.zeros(()), save_every_N=3)
    >>> symbolic.function([x], sums)(numpy.arange(1.0, 8.0))
    array([ 6., 21., 28.])
    """
    sequences = [ops.as_tensor_variable(s) for s in _as_list(sequences)]
    outputs_info = (
        list(outputs_info)
        if isinstance(outputs_info, (list, tuple))
        else [outputs_info]
    )
    non_sequences = _as_list(non_sequences)
    if not isinstance(save_every_N, int) or save_every_N < 1:
        raise ValueError(
            "scan_checkpoints: save_every_N must be a positive int, got "
            f"{save_every_N!r}"
        )
    for k, entry in enumerate(outputs_info):
        if isinstance(entry, dict) and entry.get("taps", [-1]) != [-1]:
            raise ValueError(
                f"scan_checkpoints: outputs_info[{k}] has taps {entry['taps']}; "
                "only single-step recurrences (or None) are supported"
            )
    if n_steps is None:
        if not sequences:
            raise ValueError("scan_checkpoints: give n_steps or at least one sequence")
        n_steps = sequences[0].shape[0]
    n_steps = ops.cast(ops.as_tensor_variable(n_steps), "int64")
    every = constant(save_every_N, dtype="int64")

    # Chunks: all of save_every_N steps but the last, which has the rest.
    n_chunks = (n_steps + every - 1) // every
    chunk_steps = ops.set_subtensor(
        ops.alloc(every, n_chunks)[-1], n_steps - (n_chunks - 1) * every
    )

    chunked = []
    for s in sequences:
        s = s[:n_steps]
        if padding:
            pad = n_chunks * every - n_steps
            zeros = ops.zeros(
                [pad] + [s.shape[i] for i in range(1, s.ndim)], dtype=s.dtype
            )
            s = ops.concatenate([s, zeros], axis=0)
        shape = [n_chunks, every] + [s.shape[i] for i in range(1, s.ndim)]
        chunked.append(s.reshape(shape, ndim=s.ndim + 1))

    recurrent = [entry is not None for entry in outputs_info]
    n_seqs, n_states = len(chunked), sum(recurrent)

    def chunk(*args):
        seq_chunks, count = args[:n_seqs], args[n_seqs]
        states = list(args[n_seqs + 1 : n_seqs + 1 + n_states])
        fixed = list(args[n_seqs + 1 + n_states :])
        inner_info = [states.pop(0) if r else None for r in recurrent]
        results, updates = scan(
            fn,
            sequences=list(seq_chunks),
            outputs_info=inner_info,
            non_sequences=fixed,
            n_steps=count,
            name=f"{name}_inner",
            return_list=True,
        )
        return [r[-1] for r in results], updates

    return scan(
        chunk,
        sequences=[*chunked, chunk_steps],
        outputs_info=outputs_info,
        non_sequences=non_sequences,
        n_steps=n_chunks,
        name=f"{name}_outer",
    )
