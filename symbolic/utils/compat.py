"""Python 2/3 helpers Theano 1.0 exposed as ``theano.compat``, for Python 3 only.

Code written for Theano imports these names; on Python 3 they are the
builtins or thin wrappers over them.
"""

import builtins
import collections
import collections.abc
import functools
import itertools
import operator
import pickle
from collections import OrderedDict

PY3 = True
PY2 = False

string_types = (str,)
integer_types = (int,)
class_types = (type,)
text_type = str
binary_type = bytes

izip = zip
imap = map
ifilter = filter
ifilterfalse = itertools.filterfalse
izip_longest = itertools.zip_longest
xrange = range
reduce = functools.reduce
cmp_to_key = functools.cmp_to_key
get_unbound_function = operator.attrgetter("__func__")
cPickle = pickle
unicode = str
long = int
exc_message = operator.attrgetter("args")
DefaultOrderedDict = collections.defaultdict
MutableMapping = collections.abc.MutableMapping
Callable = collections.abc.Callable
input = builtins.input


def iteritems(mapping):
    """Return an iterator over ``mapping``'s items."""
    return iter(mapping.items())


def iterkeys(mapping):
    """Return an iterator over ``mapping``'s keys."""
    return iter(mapping.keys())


def itervalues(mapping):
    """Return an iterator over ``mapping``'s values."""
    return iter(mapping.values())


def cmp(a, b):
    """Return -1, 0 or 1 as ``a`` is less than, equal to or greater than ``b``."""
    return (a > b) - (a < b)


def decode(x):
    """Return bytes ``x`` decoded as UTF-8 (``str`` passes through)."""
    return x.decode() if isinstance(x, bytes) else x


def encode(x):
    """Return str ``x`` encoded as UTF-8 (``bytes`` pass through)."""
    return x.encode() if isinstance(x, str) else x


def decode_iter(itr):
    """Yield each item of ``itr`` decoded as UTF-8."""
    for x in itr:
        yield decode(x)


def decode_with(x, encoding):
    """Return bytes ``x`` decoded with ``encoding``."""
    return x.decode(encoding) if isinstance(x, bytes) else x


def exec_(code, globs=None, locs=None):
    """Run ``code`` as ``exec`` does (the Python 2 spelling's name)."""
    exec(code, globs, locs)


__all__ = [
    "PY2",
    "PY3",
    "Callable",
    "DefaultOrderedDict",
    "MutableMapping",
    "OrderedDict",
    "binary_type",
    "cPickle",
    "class_types",
    "cmp",
    "cmp_to_key",
    "decode",
    "decode_iter",
    "decode_with",
    "encode",
    "exc_message",
    "exec_",
    "get_unbound_function",
    "ifilter",
    "ifilterfalse",
    "imap",
    "input",
    "integer_types",
    "iteritems",
    "iterkeys",
    "itervalues",
    "izip",
    "izip_longest",
    "long",
    "reduce",
    "string_types",
    "text_type",
    "unicode",
    "xrange",
]
