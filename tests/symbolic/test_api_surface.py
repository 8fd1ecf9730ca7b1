"""Every name of the import checklist (spec section 16) resolves at its Theano path."""

import importlib

import pytest

CHECKLIST = {
    "symbolic": "config function shared clone grad Rop Variable Constant Apply Mode "
    "ProfileStats OrderedUpdates pprint pp printing tensor scalar gof "
    "compile gradient _asarray change_flags Op Type Generic generic In "
    "Out Param dot get_scalar_constant_value Lop subgraph_grad",
    "symbolic.gof": "Variable Constant Apply Container graph utils Op Type Generic "
    "generic FunctionGraph MissingInputError InconsistencyError",
    "symbolic.gof.graph": "Variable Constant Apply inputs ancestors io_toposort "
    "is_same_graph variables ops orphans clone clone_get_equiv "
    "general_toposort stack_search view_roots",
    "symbolic.gof.utils": "scratchpad",
    "symbolic.tensor": "TensorType TensorVariable TensorConstant TensorSharedVariable "
    "SharedVariable Variable Constant scalar vector row col matrix "
    "tensor3 tensor4 lscalar lvector lmatrix iscalar ivector imatrix "
    "fscalar fvector fmatrix ftensor3 ftensor4 dscalar dvector dmatrix "
    "dtensor3 dtensor4 as_tensor_variable as_tensor constant cast add "
    "sub mul true_div int_div mod pow neg exp log sqrt sqr tanh abs_ "
    "maximum minimum switch eq neq lt le gt ge isnan isinf tensor_copy "
    "sum prod mean max min argmax argmin all any reshape flatten "
    "shape_padleft shape_padright unbroadcast patternbroadcast "
    "addbroadcast concatenate join stack alloc zeros ones zeros_like "
    "ones_like arange repeat roll transpose shape set_subtensor "
    "inc_subtensor dot Elemwise DimShuffle grad Rop Lop "
    "get_vector_length get_scalar_constant_value extract_constant "
    "nnet subtensor sharedvar elemwise extra_ops scalars vectors "
    "matrices tensor5 log1p expm1 inv square floor ceil round sgn clip "
    "and_ or_ xor invert sin cos fill second var std shape_padaxis eye "
    "tile split squeeze tensordot outer batched_dot nonzero "
    "nonzero_values sort argsort",
    "symbolic.tensor.subtensor": "Subtensor",
    "symbolic.tensor.elemwise": "Elemwise DimShuffle",
    "symbolic.tensor.sharedvar": "SharedVariable TensorSharedVariable "
    "tensor_constructor",
    "symbolic.tensor.extra_ops": "repeat to_one_hot cumsum cumprod diff bincount",
    "symbolic.tensor.nnet": "sigmoid softplus relu softmax categorical_crossentropy "
    "binary_crossentropy logsoftmax ultra_fast_sigmoid "
    "hard_sigmoid elu selu crossentropy_categorical_1hot "
    "sigmoid_binary_crossentropy",
    "symbolic.gradient": "grad Rop undefined_grad DisconnectedInputError "
    "NullTypeGradError Lop disconnected_grad zero_grad "
    "consider_constant grad_clip grad_scale jacobian hessian "
    "verify_grad",
    "symbolic.scalar": "upcast",
    "symbolic.scalar.basic": "Identity identity",
    "symbolic.compile": "function SharedVariable shared Mode ProfileStats In Out "
    "FunctionMaker get_mode pfunc",
    "symbolic.compile.function_module": "Function UnusedInputError",
    "symbolic.compile.sharedvalue": "SharedVariable shared",
    "symbolic.compile.profiling": "ProfileStats",
    "symbolic.printing": "Print debugprint pprint pp PPrinter pydotprint "
    "min_informative_str",
}


@pytest.mark.parametrize("module", sorted(CHECKLIST))
def test_names_resolve(module):
    mod = importlib.import_module(module)
    missing = [name for name in CHECKLIST[module].split() if not hasattr(mod, name)]
    assert missing == []


def test_submodules_reachable_after_import():
    import symbolic

    for name in ("printing", "tensor", "scalar", "gof", "compile", "gradient"):
        assert hasattr(symbolic, name)
    assert callable(symbolic.tensor.shape)
    assert callable(symbolic.tensor.dot)
