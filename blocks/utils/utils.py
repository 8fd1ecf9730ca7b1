"""Helpers that do not touch the symbolic engine."""

import sys
from collections import OrderedDict, deque
from contextlib import contextmanager


def pack(arg):
    """Pack variables into a list.

    Parameters
    ----------
    arg : object
        A list is returned as it is, a tuple becomes a list, and any other
        object is wrapped in a one-element list.

    Returns
    -------
    list

    Examples
    --------
    >>> pack((1, 2))
    [1, 2]
    >>> pack('a')
    ['a']

    """
    if isinstance(arg, list):
        return arg
    if isinstance(arg, tuple):
        return list(arg)
    return [arg]


def unpack(arg, singleton=False):
    """Unpack variables from a list or tuple.

    Parameters
    ----------
    arg : object
        A list or tuple of length one gives its only element. A longer tuple
        becomes a list. Anything else is returned as it is.
    singleton : bool, optional
        If True, `arg` must be a list or tuple with exactly one element and
        a ValueError is raised otherwise. False by default.

    Returns
    -------
    object
        A list of length other than one, or any other object but a tuple.

    Examples
    --------
    >>> unpack([1])
    1
    >>> unpack((1, 2))
    [1, 2]

    """
    if isinstance(arg, (list, tuple)):
        if len(arg) == 1:
            return arg[0]
        if singleton:
            raise ValueError(
                f"expected a singleton, got a {type(arg).__name__} of length {len(arg)}"
            )
        return list(arg)
    if singleton:
        raise ValueError(f"expected a singleton list or tuple, got {arg!r}")
    return arg


def dict_subset(dict_, keys, pop=False, must_have=True):
    """Return a subset of a dictionary corresponding to a set of keys.

    Parameters
    ----------
    dict_ : dict
        The dictionary.
    keys : iterable
        The keys of interest.
    pop : bool, optional
        If True, the selected pairs are removed from `dict_`.
    must_have : bool, optional
        If True (the default), a key missing from `dict_` raises a
        KeyError; otherwise it is skipped.

    Returns
    -------
    OrderedDict
        The selected pairs, in the order of `keys`.

    """
    get = dict_.pop if pop else dict_.__getitem__
    result = OrderedDict()
    for key in keys:
        if key in dict_:
            result[key] = get(key)
        elif must_have:
            raise KeyError(key)
    return result


def dict_union(*dicts, **kwargs):
    r"""Return the union of a sequence of disjoint dictionaries.

    Parameters
    ----------
    \*dicts : dicts
        Dictionaries with no keys in common. If the first one is an
        OrderedDict, so is the result.
    \*\*kwargs
        More keys and values to add to the result.

    Raises
    ------
    ValueError
        If a key appears in more than one dictionary or keyword argument.

    Examples
    --------
    >>> dict_union({'a': 1}, {'b': 2}, c=3) == {'a': 1, 'b': 2, 'c': 3}
    True

    """
    dicts = [*dicts, kwargs]
    result = OrderedDict() if dicts and isinstance(dicts[0], OrderedDict) else {}
    for dict_ in dicts:
        for key, value in dict_.items():
            if key in result:
                raise ValueError(f"key {key!r} appears in more than one dictionary")
            result[key] = value
    return result


def reraise_as(new_exc):
    """Reraise an exception as a different type or with a message.

    Must be called from an ``except`` block. The original traceback is kept
    and the original exception becomes the new one's ``__cause__``.

    Parameters
    ----------
    new_exc : Exception or str
        The new exception, e.g. ``ValueError("New message")``, or a message
        that becomes an exception of the original type.

    Notes
    -----
    The arguments of the original exception are turned into strings and
    appended to the message of the new one, so the information survives
    when the exception is reraised again.

    Examples
    --------
    >>> try:
    ...     1 / 0
    ... except Exception:  # doctest: +NORMALIZE_WHITESPACE
    ...     reraise_as(ValueError("Informative message"))
    Traceback (most recent call last):
    ...
    ValueError: Informative message
    <BLANKLINE>
    Original exception:
        ZeroDivisionError: division by zero

    """
    orig_type, orig_value, orig_traceback = sys.exc_info()
    if isinstance(new_exc, str):
        new_exc = orig_type(new_exc)
    if hasattr(new_exc, "args"):
        message = ", ".join(str(arg) for arg in new_exc.args)
        message += "\n\nOriginal exception:\n\t" + orig_type.__name__
        if orig_value is not None and getattr(orig_value, "args", ()):
            if getattr(orig_value, "reraised", False):
                message += ": " + str(orig_value.args[0])
            else:
                message += ": " + ", ".join(str(arg) for arg in orig_value.args)
        new_exc.args = (message, *new_exc.args[1:])
    new_exc.reraised = True
    raise new_exc.with_traceback(orig_traceback) from orig_value


def repr_attrs(instance, *attrs):
    r"""Print a representation of an object with certain attributes.

    Parameters
    ----------
    instance : object
        The object to represent.
    \*attrs
        The names of the attributes to show.

    Returns
    -------
    str

    Examples
    --------
    >>> class A:
    ...     def __init__(self, value):
    ...         self.value = value
    >>> repr_attrs(A('a_value'), 'value')  # doctest: +ELLIPSIS
    '<...A object at 0x...: value=a_value>'

    """
    orig = object.__repr__(instance)
    shown = ", ".join(f"{attr}={getattr(instance, attr)}" for attr in attrs)
    return f"{orig[:-1]}: {shown}>"


def extract_args(expected, *args, **kwargs):
    r"""Route keyword and positional arguments to a list of names.

    For a method that learns its expected arguments only at run time and
    therefore takes ``*args, **kwargs``.

    Parameters
    ----------
    expected : list of str
        The names of the expected arguments, in order.
    \*args
        The positional arguments passed.
    \*\*kwargs
        The keyword arguments passed.

    Returns
    -------
    OrderedDict
        Maps each name in `expected` to its value.

    Raises
    ------
    KeyError
        If a keyword argument is not among `expected`.
    TypeError
        If an argument is given both by position and by keyword.
    ValueError
        If an expected argument is given neither way.

    Examples
    --------
    >>> extract_args(['a', 'b'], 1, b=2)
    OrderedDict([('a', 1), ('b', 2)])

    """
    if len(args) > len(expected):
        raise ValueError(
            f"expected at most {len(expected)} positional arguments "
            f"({', '.join(expected)}), got {len(args)}"
        )
    routed = OrderedDict(zip(expected, args, strict=False))
    for name, value in kwargs.items():
        if name not in expected:
            raise KeyError(f"unexpected keyword argument {name!r}")
        if name in routed:
            raise TypeError(f"argument {name!r} given by position and by keyword")
        routed[name] = value
    missing = [name for name in expected if name not in routed]
    if missing:
        raise ValueError(f"missing arguments: {', '.join(missing)}")
    return OrderedDict((name, routed[name]) for name in expected)


def find_bricks(top_bricks, predicate):
    """Walk the brick hierarchy and return the bricks that satisfy a predicate.

    The walk is breadth first and visits each brick once.

    Parameters
    ----------
    top_bricks : list of Brick
        The roots to search downward from.
    predicate : callable
        Called with a brick; returns True for the bricks to keep.

    Returns
    -------
    list of Brick
        The matching descendants of `top_bricks` (the roots included).

    """
    found = []
    visited = set()
    to_visit = deque(top_bricks)
    while to_visit:
        brick = to_visit.popleft()
        if id(brick) in visited:
            continue
        visited.add(id(brick))
        if predicate(brick):
            found.append(brick)
        to_visit.extend(brick.children)
    return found


@contextmanager
def change_recursion_limit(limit):
    """Temporarily change the recursion limit.

    Parameters
    ----------
    limit : int
        The limit inside the ``with`` block.

    """
    old_limit = sys.getrecursionlimit()
    sys.setrecursionlimit(limit)
    try:
        yield
    finally:
        sys.setrecursionlimit(old_limit)


def ipdb_breakpoint(x):
    """Hook function for :func:`put_hook` that starts the debugger.

    Uses ``ipdb`` when it is installed and ``pdb`` otherwise.

    Parameters
    ----------
    x : ndarray
        The value of the hooked variable.

    """
    try:
        import ipdb as debugger
    except ImportError:
        import pdb as debugger
    debugger.set_trace()


def print_sum(x, header=None):
    """Hook function for :func:`put_hook` that prints the sum of a value."""
    prefix = f"{header}: " if header else ""
    print(f"{prefix}{x.sum()}")  # noqa: T201


def print_shape(x, header=None):
    """Hook function for :func:`put_hook` that prints the shape of a value."""
    prefix = f"{header}: " if header else ""
    print(f"{prefix}{x.shape}")  # noqa: T201
