"""Symbolic expressions that Blocks uses: norms and Hessian products."""

from symbolic import tensor

__all__ = ["hessian_times_vector", "l2_norm"]


def l2_norm(tensors, squared=False):
    """Compute the total L2 norm of a set of tensors.

    Parameters
    ----------
    tensors : iterable of :class:`~tensor.TensorVariable` (or compatible)
        The tensors; each goes through :func:`tensor.as_tensor_variable`.
    squared : bool, optional
        If True, return the squared norm. False by default.

    Returns
    -------
    :class:`~tensor.TensorVariable`
        A scalar.

    Examples
    --------
    >>> float(l2_norm([3, 4]).eval())
    5.0

    """
    summed = [tensor.sqr(tensor.as_tensor_variable(t)).sum() for t in tensors]
    total = tensor.add(*summed) if len(summed) > 1 else summed[0]
    return total if squared else tensor.sqrt(total)


def hessian_times_vector(gradient, parameter, vector, r_op=False):
    """Return an expression for the Hessian times a vector.

    Parameters
    ----------
    gradient : :class:`~tensor.TensorVariable`
        The gradient of a cost with respect to `parameter`.
    parameter : :class:`~tensor.TensorVariable`
        The parameter the gradient was taken with respect to.
    vector : :class:`~tensor.TensorVariable`
        The vector to multiply the Hessian by.
    r_op : bool, optional
        Use :func:`symbolic.Rop` rather than the gradient of a dot product.
        False by default; which is faster is a matter of profiling.

    Returns
    -------
    :class:`~tensor.TensorVariable`

    """
    if r_op:
        return tensor.Rop(gradient, parameter, vector)
    return tensor.grad(tensor.sum(gradient * vector), parameter)
