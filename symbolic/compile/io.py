"""Input and output specifications for ``function``: In, Out and their bases."""

from symbolic.graph.basic import Variable


class SymbolicInput:
    """How a function input is fed.

    Parameters
    ----------
    variable : Variable
    name : str, optional
        Keyword name in calls (defaults to the variable's name).
    update : Variable, optional
        After each call the input's stored value becomes this expression.
    mutable : bool
        The function may overwrite the value passed in.
    strict, allow_downcast : bool
        Type-conversion policy of values passed for it.
    autoname : bool
    implicit : bool
        The caller may not pass a value (it lives in a container).
    """

    def __init__(
        self,
        variable,
        name=None,
        update=None,
        mutable=None,
        strict=False,
        allow_downcast=None,
        autoname=True,
        implicit=False,
    ):
        if not isinstance(variable, Variable):
            raise TypeError(f"input must be a Variable, got {variable!r}")
        self.variable = variable
        self.name = variable.name if (autoname and name is None) else name
        if self.name is not None and not isinstance(self.name, str):
            raise TypeError(f"input name must be a string, got {self.name!r}")
        self.update = update
        if update is not None and not variable.type == getattr(update, "type", None):
            raise TypeError(
                f"the update of {variable} has type {getattr(update, 'type', None)}, "
                f"expected {variable.type}"
            )
        self.mutable = mutable if mutable is not None else (update is not None)
        self.strict = strict
        self.allow_downcast = allow_downcast
        self.implicit = implicit

    def __str__(self):
        if self.update is not None:
            return f"In({self.variable} -> {self.update})"
        return f"In({self.variable})"

    __repr__ = __str__


class In(SymbolicInput):
    """An input with an optional default value, update and copying policy.

    Parameters
    ----------
    variable : Variable
    name : str, optional
    value : object or Container, optional
        Default value used when the caller does not pass this input.
    update : Variable, optional
    mutable : bool, optional
    strict, allow_downcast, autoname : see SymbolicInput
    implicit : bool or None
        None means True only when ``value`` is a Container.
    borrow : bool, optional
        The function may keep a reference to the value passed in.
    shared : bool
    """

    def __init__(
        self,
        variable,
        name=None,
        value=None,
        update=None,
        mutable=None,
        strict=False,
        allow_downcast=None,
        autoname=True,
        implicit=None,
        borrow=None,
        shared=False,
    ):
        from symbolic.compile.container import Container

        self.shared = shared
        if borrow is None:
            borrow = False
        if mutable and not borrow:
            borrow = True
        self.borrow = borrow
        if implicit is None:
            implicit = isinstance(value, Container) or (
                getattr(variable, "container", None) is value and value is not None
            )
        super().__init__(
            variable, name, update, mutable, strict, allow_downcast, autoname, implicit
        )
        self.value = value
        if self.implicit and value is None:
            raise TypeError(f"implicit input {variable} needs a value")


Param = In


class SymbolicOutput:
    """How a function output is returned.

    Parameters
    ----------
    variable : Variable
    borrow : bool
        Return the internal buffer (may alias inputs or be overwritten by a
        later call) instead of a safe copy.
    """

    def __init__(self, variable, borrow=False):
        if not isinstance(variable, Variable):
            raise TypeError(f"output must be a Variable, got {variable!r}")
        self.variable = variable
        self.borrow = borrow

    def __str__(self):
        return f"Out({self.variable}, borrow={self.borrow})"

    __repr__ = __str__


Out = SymbolicOutput
