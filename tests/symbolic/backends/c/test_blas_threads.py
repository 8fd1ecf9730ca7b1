"""The C runtime leaves OpenBLAS's thread count as it found it.

The runtime pins OpenBLAS to one thread per call and splits large products
over its own pool. Where OpenBLAS's "local" setting is process-wide, parts
that saved and restored the count concurrently could leave it at one thread,
and every later numpy product of the user's process ran single-threaded.
"""

import ctypes
import glob
import os

import numpy
import pytest

import symbolic
from symbolic import tensor as T
from symbolic.backends.c.runtime import runtime
from symbolic.tensor.nnet import conv2d

pytestmark = pytest.mark.c_backend


def _openblas_get_num_threads():
    site = os.path.dirname(os.path.dirname(os.path.abspath(numpy.__file__)))
    for path in sorted(glob.glob(os.path.join(site, "numpy.libs", "*openblas64_*.so"))):
        library = ctypes.CDLL(path)
        for name in ("scipy_openblas_get_num_threads64_", "openblas_get_num_threads"):
            function = getattr(library, name, None)
            if function is not None:
                return function
    return None


@pytest.fixture
def blas_threads():
    if runtime.numpy_blas_threads_local() is None or not runtime.available():
        pytest.skip("needs numpy's OpenBLAS with openblas_set_num_threads_local")
    if runtime.kernel_threads() < 2:
        pytest.skip("the runtime splits products only with two threads or more")
    get = _openblas_get_num_threads()
    if get is None:
        pytest.skip("numpy's OpenBLAS has no openblas_get_num_threads")
    return get


def _calls_keep_thread_count(function, args, get_threads):
    before = get_threads()
    for _ in range(20):
        function(*args)
        assert get_threads() == before


def test_a_split_product_leaves_the_blas_thread_count(blas_threads):
    x, y = T.dmatrix("x"), T.dmatrix("y")
    f = symbolic.function([x, y], T.dot(x, y), mode=symbolic.Mode(linker="cvm"))
    rng = numpy.random.default_rng(0)
    a, b = rng.standard_normal((384, 384)), rng.standard_normal((384, 384))
    numpy.testing.assert_allclose(f(a, b), a @ b, rtol=1e-10)
    _calls_keep_thread_count(f, (a, b), blas_threads)


def test_a_split_convolution_leaves_the_blas_thread_count(blas_threads):
    images, filters = T.tensor4("images"), T.tensor4("filters")
    f = symbolic.function(
        [images, filters], conv2d(images, filters), mode=symbolic.Mode(linker="cvm")
    )
    rng = numpy.random.default_rng(1)
    img = rng.standard_normal((8, 16, 32, 32)).astype(images.dtype)
    kern = rng.standard_normal((32, 16, 3, 3)).astype(filters.dtype)
    _calls_keep_thread_count(f, (img, kern), blas_threads)
