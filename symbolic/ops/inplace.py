"""In-place elementwise functions (Theano's ``tensor.inplace``): ``exp_inplace(x)``...

Each overwrites its first input with the result (``destroy_map`` says so),
so a function using one must be compiled with ``accept_inplace=True`` and
the first input must have the output's dtype. Ordinary graphs never need
them: the rewriter makes elementwise ops in place where it is safe.
"""

from symbolic.ops import math
from symbolic.ops.elemwise import Elemwise

#: The elementwise functions of ``symbolic.ops.math`` that get an
#: ``_inplace`` twin (the activations' twins are made in ``ops.nnet.sigm``).
_SOURCES = {
    math: (
        "add", "mul", "sub", "true_div", "int_div", "floor_div", "mod", "pow",
        "neg", "abs_", "sgn", "maximum", "minimum", "lt", "gt", "le", "ge", "eq",
        "neq", "and_", "or_", "xor", "invert", "exp", "exp2", "log", "log2",
        "log10", "log1p", "expm1", "sqrt", "sqr", "inv", "sin", "cos", "tan",
        "arcsin", "arccos", "arctan", "arctan2", "sinh", "cosh", "tanh",
        "arcsinh", "arccosh", "arctanh", "erf", "erfc", "erfinv", "erfcinv",
        "gamma", "gammaln", "psi", "floor", "ceil", "trunc",
        "round_half_to_even", "round_half_away_from_zero", "second", "fill",
    ),
}  # fmt: skip


def inplace_twin(name, source):
    """Return the in-place twin ``<name>_inplace`` of an elementwise function.

    Parameters
    ----------
    name : str
        The function's name; the twin is called ``<name>_inplace``.
    source : Elemwise or callable
        The Elemwise op, or a function carrying one as its ``op`` attribute.

    Returns
    -------
    callable
        A function applying an Elemwise of the same scalar op that writes its
        output over its first input; the op is its ``op`` attribute.
    """
    op = source if isinstance(source, Elemwise) else source.op
    inplace_op = Elemwise(op.scalar_op, {0: 0}, name=f"Elemwise{{{name},inplace}}")

    def apply(*inputs):
        return inplace_op(*inputs)

    apply.__name__ = apply.__qualname__ = f"{name}_inplace"
    apply.__doc__ = f"In-place ``{name}``: overwrites its first input with the result."
    apply.op = inplace_op
    return apply


def _build():
    made = {}
    for module, names in _SOURCES.items():
        for name in names:
            made[f"{name}_inplace"] = inplace_twin(name, getattr(module, name))
    return made


globals().update(_build())

# Theano's clip_inplace and pow_inplace spellings.
clip_inplace = inplace_twin("clip", math._clip)

__all__ = sorted([*_build(), "clip_inplace"])
