"""Every op family and the functions users call, in one namespace.

``symbolic.tensor`` re-exports this at Theano's paths; tensor variables'
methods (``x.sum()``, ``x[i]``...) dispatch here.
"""

import sys as _sys

from symbolic.ops.basic import (
    Alloc,
    EmptyConstantError,
    MakeVector,
    NotScalarConstantError,
    Rebroadcast,
    Shape,
    Shape_i,
    addbroadcast,
    alloc,
    extract_constant,
    get_scalar_constant_value,
    get_vector_length,
    make_vector,
    ones,
    shape,
    shape_padaxis,
    shape_padleft,
    shape_padright,
    transpose,
    unbroadcast,
    zero,
    zeros,
)
from symbolic.ops.diagonals import *
from symbolic.ops.dot import *
from symbolic.ops.elemwise import CAReduce, DimShuffle, Elemwise
from symbolic.ops.extra import *
from symbolic.ops.join_split import *
from symbolic.ops.math import *
from symbolic.ops.math import (
    Argmax,
    Argmin,
    Max,
    Min,
    Prod,
    Sum,
    abs,
    all,
    any,
    max,
    min,
    pow,
    round,
    sum,
)
from symbolic.ops.reshaping import *
from symbolic.ops.sorting import *
from symbolic.ops.subtensor import *
from symbolic.types import tensor as _tensor_types

# Tensor variables' methods (``x + y``, ``x.sum()``...) call this namespace.
_namespace = _sys.modules[__name__]
_tensor_types.ops_namespace.install(lambda: _namespace)
