"""Container: a one-slot box holding a value checked by a type."""


class Container:
    """Holds one value in ``storage[0]``, filtered through ``type.filter``.

    Parameters
    ----------
    r : Variable or Type
        What the value must fit.
    storage : list
        A one-element list; functions read and write the value there.
    readonly, strict, allow_downcast : bool
    name : str, optional
    """

    def __init__(
        self, r, storage, readonly=False, strict=False, allow_downcast=None, name=None
    ):
        if not isinstance(storage, list) or len(storage) != 1:
            raise TypeError("storage must be a list of length 1")
        self.type = getattr(r, "type", r)
        self.name = name if name is not None else getattr(r, "name", None)
        self.storage = storage
        self.readonly = readonly
        self.strict = strict
        self.allow_downcast = allow_downcast
        self.required = False
        self.implicit = False
        self.provided = 0

    def __get__(self):
        return self.storage[0]

    def __set__(self, value):
        if self.readonly:
            raise TypeError(f"cannot set the readonly container {self.name}")
        if value is None:
            self.storage[0] = None
            return
        try:
            if self.allow_downcast is not None:
                self.storage[0] = self.type.filter(
                    value, strict=self.strict, allow_downcast=self.allow_downcast
                )
            else:
                self.storage[0] = self.type.filter(value, strict=self.strict)
        except (TypeError, ValueError) as exc:
            raise type(exc)(f"{self.name or 'value'}: {exc}") from None
        self.provided += 1

    data = property(__get__, __set__)
    value = property(__get__, __set__)

    def __str__(self):
        return f"<{self.storage[0]}>"

    __repr__ = __str__

    def __deepcopy__(self, memo):
        import copy

        new = Container(
            self.type,
            [copy.deepcopy(self.storage[0], memo)],
            self.readonly,
            self.strict,
            self.allow_downcast,
            self.name,
        )
        return new
