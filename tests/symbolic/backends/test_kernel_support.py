"""The kernel contract the C, LLVM and CUDA backends share."""

import numpy
import pytest

import symbolic.tensor as T
from symbolic.backends import kernel_support
from symbolic.backends.c import elemwise_kernels, scalar_c
from symbolic.backends.kernel_support import (
    KERNEL_DTYPES,
    Unsupported,
    compute_dtype,
    node_expressions,
)
from symbolic.backends.llvm import scalar_ir


def test_the_c_and_llvm_renderers_cover_exactly_the_kernel_dtypes():
    assert set(scalar_c.C_TYPES) == set(KERNEL_DTYPES)
    assert set(scalar_ir.IR_TYPES) == set(KERNEL_DTYPES)


def test_the_c_modules_still_name_the_shared_contract():
    # Code written against the C backend's modules keeps working.
    assert scalar_c.Unsupported is Unsupported
    assert scalar_c.compute_dtype is compute_dtype
    assert elemwise_kernels.node_expressions is node_expressions
    assert elemwise_kernels.call_kernel is kernel_support.call_kernel


def test_compute_dtype_follows_numpy_and_rejects_other_dtypes():
    assert compute_dtype("add", ("int8", "uint8")) == "int16"
    assert compute_dtype("div", ("int32", "int32")) == "float64"
    with pytest.raises(Unsupported, match="float16 has no kernel rendering"):
        compute_dtype("add", ("float16", "float16"))


def test_node_expressions_of_an_elemwise_node_and_of_another_op():
    node = (T.fvector("x") * T.bvector("y")).owner
    outputs, in_dtypes, out_dtypes = node_expressions(node)
    assert in_dtypes == ("float32", "int8")
    assert out_dtypes == ("float32",)
    assert [expr.op for expr in outputs] == ["mul"]
    with pytest.raises(Unsupported, match="not an Elemwise"):
        node_expressions(T.dot(T.fmatrix("a"), T.fmatrix("b")).owner)


def test_call_kernel_checks_the_operand_count_before_running():
    class NoKernel:
        nin, nout = 2, 1
        in_dtypes, out_dtypes = ("float64", "float64"), ("float64",)

    with pytest.raises(ValueError, match="expected 2 inputs, got 1"):
        kernel_support.call_kernel(NoKernel(), [numpy.zeros(3)])
