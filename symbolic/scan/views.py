"""map, reduce, foldl and foldr: scan with fixed argument patterns."""

from symbolic.scan.basic import scan

__all__ = ["foldl", "foldr", "map", "reduce"]


def map(
    fn,
    sequences,
    non_sequences=None,
    truncate_gradient=-1,
    go_backwards=False,
    mode=None,
    name=None,
):
    """Apply ``fn`` to each element of ``sequences``; returns (outputs, updates).

    Examples
    --------
    >>> import numpy, symbolic, symbolic.tensor as T
    >>> x = T.dvector('x')
    >>> y, _ = map(lambda v: v * 2, x)
    >>> symbolic.function([x], y)(numpy.array([1.0, 2.0]))
    array([2., 4.])
    """
    return scan(
        fn,
        sequences=sequences,
        outputs_info=None,
        non_sequences=non_sequences,
        truncate_gradient=truncate_gradient,
        go_backwards=go_backwards,
        mode=mode,
        name=name,
    )


def reduce(
    fn,
    sequences,
    outputs_info,
    non_sequences=None,
    go_backwards=False,
    mode=None,
    name=None,
):
    """Fold ``fn`` over ``sequences``; returns only the last step's outputs.

    ``fn`` takes the sequence elements, then the accumulators, then the
    non-sequences, like a scan step.

    Examples
    --------
    >>> import numpy, symbolic, symbolic.tensor as T
    >>> x = T.dvector('x')
    >>> total, _ = reduce(lambda v, acc: acc + v, x, numpy.float64(0.0))
    >>> float(symbolic.function([x], total)(numpy.array([1.0, 2.0, 3.0])))
    6.0
    """
    outputs, updates = scan(
        fn,
        sequences=sequences,
        outputs_info=outputs_info,
        non_sequences=non_sequences,
        go_backwards=go_backwards,
        truncate_gradient=-1,
        mode=mode,
        name=name,
        return_list=True,
    )
    last = [out[-1] for out in outputs]
    if len(last) == 1:
        return last[0], updates
    return last, updates


def foldl(fn, sequences, outputs_info, non_sequences=None, mode=None, name=None):
    """``reduce`` from the first element to the last."""
    return reduce(
        fn,
        sequences=sequences,
        outputs_info=outputs_info,
        non_sequences=non_sequences,
        go_backwards=False,
        mode=mode,
        name=name,
    )


def foldr(fn, sequences, outputs_info, non_sequences=None, mode=None, name=None):
    """``reduce`` from the last element to the first."""
    return reduce(
        fn,
        sequences=sequences,
        outputs_info=outputs_info,
        non_sequences=non_sequences,
        go_backwards=True,
        mode=mode,
        name=name,
    )
