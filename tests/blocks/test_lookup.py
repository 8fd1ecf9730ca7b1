import numpy
import pytest
from numpy.testing import assert_equal

import symbolic
from blocks.bricks.lookup import LookupTable
from blocks.initialization import Constant
from blocks.roles import WEIGHT, has_roles
from symbolic import tensor


def test_lookup_table():
    lookup = LookupTable(5, 3)
    lookup.weights_init = Constant(0)
    lookup.initialize()
    values = numpy.arange(15, dtype=symbolic.config.floatX).reshape(5, 3)
    lookup.W.set_value(values)
    indices = tensor.lmatrix("indices")
    output = lookup.apply(indices)
    index_val = numpy.array([[0, 4], [2, 2]])
    assert_equal(output.eval({indices: index_val}), values[index_val])
    assert has_roles(lookup.W, [WEIGHT])
    assert lookup.input_dim == 5 and lookup.output_dim == 3
    assert lookup.get_dim("output") == 3 and lookup.get_dim("indices") == 0


def test_lookup_table_lazy_dims_and_int_check():
    lookup = LookupTable()
    lookup.input_dim = 4
    lookup.output_dim = 2
    assert (lookup.length, lookup.dim) == (4, 2)
    with pytest.raises(ValueError, match="dtype"):
        lookup.apply(tensor.matrix())
