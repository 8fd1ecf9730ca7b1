"""Theano path ``gof.op`` (import-only shim)."""

from symbolic.graph.op import Op
from symbolic.graph.op import Op as PureOp
from symbolic.graph.utils import MethodNotDefined
