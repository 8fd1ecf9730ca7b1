import subprocess
import sys


def run(code):
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()


def test_utils_does_not_import_the_engine():
    code = (
        "import sys; import blocks.utils; from blocks.utils import dict_union; "
        "import blocks.config; print('symbolic' in sys.modules)"
    )
    assert run(code) == "False"


def test_both_import_paths_work():
    code = (
        "from blocks.utils import shared_floatx; "
        "from blocks.utils.theano_utils import shared_floatx as direct; "
        "print(shared_floatx is direct)"
    )
    assert run(code) == "True"


def test_documented_names_import():
    import blocks.bricks
    import blocks.bricks.conv
    import blocks.bricks.cost
    import blocks.bricks.lookup
    import blocks.bricks.parallel
    import blocks.bricks.recurrent
    import blocks.bricks.wrappers
    import blocks.filter
    import blocks.graph
    import blocks.graph.annotations
    import blocks.graph.bn
    import blocks.initialization
    import blocks.model
    import blocks.roles
    import blocks.select
    import blocks.theano_expressions
    import blocks.utils
    import blocks.utils.containers
    import blocks.utils.profile

    for module in (
        blocks.bricks,
        blocks.bricks.conv,
        blocks.bricks.cost,
        blocks.bricks.lookup,
        blocks.bricks.parallel,
        blocks.bricks.recurrent,
        blocks.bricks.wrappers,
        blocks.filter,
        blocks.graph,
        blocks.initialization,
        blocks.model,
        blocks.roles,
        blocks.select,
        blocks.theano_expressions,
        blocks.utils,
    ):
        for name in module.__all__:
            assert getattr(module, name) is not None, (module.__name__, name)
    assert blocks.__version__ == "0.2.0"
    from blocks.bricks.base import (  # noqa: F401
        BRICK_DELIMITER,
        Application,
        ApplicationCall,
        BoundApplication,
        Children,
        LazyNone,
        Parameters,
        args_to_kwargs,
        copy_and_tag,
        create_unbound_method,
        rename_function,
    )
    from blocks.bricks.interfaces import RNGMixin  # noqa: F401
    from blocks.config import config  # noqa: F401
    from blocks.graph.annotations import Annotation, add_annotation  # noqa: F401
    from blocks.utils.profile import Profile, Timer  # noqa: F401
    from blocks.version import version  # noqa: F401


def test_blocks_module_level_names_import():
    import numpy

    from blocks.algorithms import (
        determinism_error,
        logger,
        source_missing_error,
        variable_mismatch_error,
    )
    from blocks.bricks.base import property_
    from blocks.bricks.interfaces import RNGMixin
    from blocks.bricks.recurrent.base import unknown_scan_input
    from blocks.bricks.simple import logger as simple_logger
    from blocks.extensions.monitoring import SEPARATOR
    from blocks.log.sqlite import LARGE_BLOB_WARNING
    from blocks.main_loop import no_model_message
    from blocks.select import logger as select_logger
    from blocks.select import name_collision_error_message
    from blocks.utils import UtilsModule, old_module

    messages = [
        determinism_error,
        source_missing_error,
        variable_mismatch_error,
        unknown_scan_input,
        LARGE_BLOB_WARNING,
        no_model_message,
        name_collision_error_message,
    ]
    assert all(isinstance(message, str) and message for message in messages)
    assert logger.name.startswith("blocks.algorithms")
    assert simple_logger.name == "blocks.bricks.simple"
    assert select_logger.name == "blocks.select"
    assert property_ is property
    assert SEPARATOR == "_"
    assert isinstance(RNGMixin.seed_rng, numpy.random.RandomState)
    assert isinstance(sys.modules["blocks.utils"], UtilsModule)
    assert old_module.__name__ == "blocks.utils"


def test_blocks_utils_testing_imports():
    from blocks.utils.testing import (  # noqa: F401
        MockAlgorithm,
        MockMainLoop,
        silence_printing,
        skip_if_configuration_set,
        skip_if_not_available,
    )
