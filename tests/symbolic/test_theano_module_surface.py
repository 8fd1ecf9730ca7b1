"""Theano module paths that user code and Theano-era test suites import."""

import importlib

import pytest

SURFACE = {
    "symbolic": ["compat", "sparse", "typed_list", "OpFromGraph"],
    "symbolic.compile.builders": ["OpFromGraph"],
    "symbolic.tensor.type": ["TensorType"],
    "symbolic.tensor.var": ["TensorVariable", "TensorConstant", "_tensor_py_operators"],
    "symbolic.tensor.sort": ["sort", "argsort", "SortOp", "ArgSortOp"],
    "symbolic.tensor.blas": ["Gemm", "Gemv", "Ger", "Dot22", "gemm_inplace",
                             "gemm_no_inplace", "ger_destructive"],
    "symbolic.tensor.nnet.nnet": ["softmax", "categorical_crossentropy",
                                  "crossentropy_categorical_1hot", "Softmax"],
    "symbolic.tensor.nnet.sigm": ["sigmoid", "softplus", "scalar_sigmoid",
                                  "ultra_fast_sigmoid", "hard_sigmoid",
                                  "sigmoid_inplace"],
    "symbolic.tensor.nnet.conv": ["conv2d"],
    "symbolic.updates": ["OrderedUpdates"],
    "symbolic.misc.safe_asarray": ["_asarray"],
    "symbolic.gof.op": ["Op", "PureOp"],
    "symbolic.gof.type": ["Type", "Generic", "generic"],
    "symbolic.tests.unittest_tools": ["seed_rng", "fetch_seed", "verify_grad",
                                      "assert_allclose", "InferShapeTester",
                                      "WrongValue", "MockRandomState"],
    "symbolic.compat": ["PY3", "string_types", "integer_types", "izip", "imap",
                        "decode", "encode", "OrderedDict", "cPickle"],
    "symbolic.tensor": ["verify_grad", "Tensor", "inplace", "opt", "fft"],
    "symbolic.tensor.basic": ["_allclose", "verify_grad", "Tensor"],
    "symbolic.tensor.inplace": ["add_inplace", "exp_inplace", "mul_inplace",
                                "sigmoid_inplace", "neg_inplace", "sqr_inplace"],
    "symbolic.tensor.opt": ["register_canonicalize", "register_specialize",
                            "register_stabilize", "register_uncanonicalize",
                            "local_optimizer", "TopoOptimizer", "in2out", "out2in",
                            "Assert", "assert_op", "MakeVector", "make_vector"],
    "symbolic.tensor.fft": ["rfft", "irfft"],
    "symbolic.gof": ["local_optimizer", "TopoOptimizer", "EquilibriumOptimizer",
                     "OpSub", "PatternSub", "LocalOptimizer", "Optimizer", "toolbox",
                     "opt", "ReplaceValidate"],
    "symbolic.gof.opt": ["local_optimizer", "LocalOptGroup", "SeqOptimizer",
                         "MergeOptimizer", "TopoOptimizer", "EquilibriumOptimizer"],
    "symbolic.gof.toolbox": ["Feature", "Bookkeeper", "History", "Validator",
                             "ReplaceValidate", "NodeFinder", "PrintListener",
                             "PreserveNames", "NoOutputFromInplace"],
    "symbolic.gof.optdb": ["Query", "EquilibriumDB", "SequenceDB", "DB"],
    "symbolic.compile": ["deep_copy_op", "optdb", "rebuild_collect_shared",
                         "NanGuardMode", "as_op", "view_op"],
    "symbolic.compile.ops": ["as_op", "ViewOp", "DeepCopyOp", "Shape_i", "shape_i",
                             "deep_copy_op", "view_op", "FromFunctionOp"],
    "symbolic.compile.pfunc": ["rebuild_collect_shared", "pfunc"],
    "symbolic.compile.nanguardmode": ["NanGuardMode"],
    "symbolic.typed_list": ["TypedListType", "append", "extend", "insert", "remove",
                            "reverse", "getitem", "length", "make_list", "count",
                            "index_"],
    "symbolic.typed_list.type": ["TypedListType"],
    "symbolic.sparse": ["SparseType", "csr_matrix", "csc_matrix", "as_sparse_variable",
                        "dense_from_sparse", "csr_from_dense", "csc_from_dense",
                        "add", "mul", "sub", "neg", "transpose", "dot",
                        "structured_dot", "true_dot", "sp_sum", "sp_ones_like",
                        "structured_sigmoid", "structured_exp", "structured_log",
                        "structured_pow", "structured_minimum", "structured_maximum",
                        "structured_add", "verify_grad_sparse", "shared",
                        "SparseTensorSharedVariable", "csr_dmatrix", "csc_fmatrix",
                        "CSM", "CSR", "CSC", "csm_properties", "csm_data", "hstack",
                        "vstack", "row_scale", "col_scale", "GetItem2d",
                        "sampling_dot", "remove0", "sqrt", "sin", "tanh", "log1p"],
    "symbolic.sparse.basic": ["structured_dot", "_is_sparse", "_is_sparse_variable"],
    "symbolic.sparse.sharedvar": ["SparseTensorSharedVariable", "sparse_constructor"],
}  # fmt: skip


@pytest.mark.parametrize("module", sorted(SURFACE))
def test_theano_paths_import(module):
    imported = importlib.import_module(module)
    missing = [name for name in SURFACE[module] if not hasattr(imported, name)]
    assert missing == []
