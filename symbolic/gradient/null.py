"""Former home of the null and disconnected gradient types.

They live in :mod:`symbolic.types.null` (ops need them, and ops sit below
gradient); this path stays importable for code and pickles that name it.
"""

from symbolic.types.null import (
    DisconnectedType,
    NullType,
    _NullGradOp,  # noqa: F401  (pickles may name it here)
    disconnected_type,
    grad_not_implemented,
    grad_undefined,
    is_disconnected,
    is_undefined,
)

__all__ = [
    "DisconnectedType",
    "NullType",
    "disconnected_type",
    "grad_not_implemented",
    "grad_undefined",
    "is_disconnected",
    "is_undefined",
]
