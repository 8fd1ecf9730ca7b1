"""Lazy configuration of bricks and helpers for building application methods.

Re-exported by :mod:`blocks.bricks.base`, where they are documented.

"""

import inspect
import types
from functools import wraps

from blocks.utils import dict_union

__all__ = [
    "LazyNone",
    "NoneAllocation",
    "NoneInitialization",
    "args_to_kwargs",
    "create_unbound_method",
    "lazy",
    "rename_function",
]


def create_unbound_method(func, cls):
    """Return `func` as a plain function usable as a method of `cls`.

    Python 3 has no unbound methods, so the function itself serves.

    """
    return func


def args_to_kwargs(args, f):
    """Map positional arguments of `f` to its argument names.

    Parameters
    ----------
    args : sequence
        The positional arguments.
    f : callable
        The function they are meant for.

    Returns
    -------
    dict

    """
    arg_names = inspect.getfullargspec(f).args
    if len(args) > len(arg_names):
        raise TypeError(
            f"{f.__qualname__} takes {len(arg_names)} positional arguments but "
            f"{len(args)} were given"
        )
    return dict(zip(arg_names, args, strict=False))


class LazyNone:
    """A falsy placeholder for configuration that is not set yet.

    Parameters
    ----------
    name : str
        The repr, also the module-level name it pickles by.

    """

    def __init__(self, name):
        self.name = name

    def __repr__(self):
        return self.name

    def __bool__(self):
        return False

    def __reduce__(self):
        return self.name


#: Placeholder for allocation configuration that is not set yet
NoneAllocation = LazyNone("NoneAllocation")
#: Placeholder for initialization configuration that is not set yet
NoneInitialization = LazyNone("NoneInitialization")


def lazy(allocation=None, initialization=None):
    """Make the configuration of a brick lazy.

    Decorates ``__init__``. The named arguments become optional: when not
    given, they receive :data:`NoneAllocation` or :data:`NoneInitialization`,
    to be set later as attributes of the same name. :meth:`Brick.allocate`
    and :meth:`Brick.initialize` check that they have been set.

    Parameters
    ----------
    allocation : list of str, optional
        The arguments needed for allocation.
    initialization : list of str, optional
        The arguments needed for initialization.

    Examples
    --------
    >>> from blocks.bricks import Brick
    >>> class SomeBrick(Brick):
    ...     @lazy(allocation=['a'], initialization=['b'])
    ...     def __init__(self, a, b, c='c', d=None):
    ...         print(a, b, c, d)
    >>> brick = SomeBrick('a')
    a NoneInitialization c None
    >>> brick = SomeBrick(d='d', b='b')
    NoneAllocation b c d

    """
    allocation = list(allocation or [])
    initialization = list(initialization or [])

    def lazy_wrapper(init):
        def lazy_init(*args, **kwargs):
            self = args[0]
            self.allocation_args = [
                *self.__dict__.get("allocation_args", []),
                *allocation,
            ]
            self.initialization_args = [
                *self.__dict__.get("initialization_args", []),
                *initialization,
            ]
            kwargs = dict_union(args_to_kwargs(args, init), kwargs)
            for name in allocation:
                kwargs.setdefault(name, NoneAllocation)
            for name in initialization:
                kwargs.setdefault(name, NoneInitialization)
            return init(**kwargs)

        return wraps(init)(lazy_init)

    return lazy_wrapper


def rename_function(function, new_name):
    """Return a copy of `function` with a new ``__name__``.

    Parameters
    ----------
    function : function
        The function to copy.
    new_name : str
        The new name.

    """
    if not isinstance(function, types.FunctionType):
        raise TypeError(f"expected a function, got {function!r}")
    new_function = types.FunctionType(
        function.__code__,
        function.__globals__,
        new_name,
        function.__defaults__,
        function.__closure__,
    )
    new_function.__dict__.update(function.__dict__)
    new_function.__kwdefaults__ = function.__kwdefaults__
    new_function.__qualname__ = new_name
    return new_function
