"""Hooks: how a lower layer calls code that a higher layer provides.

Layers import only toward the bottom (graph, types, ops, ...), yet a few
conveniences point up: ``Variable.eval`` compiles a function, and a tensor
variable's ``x.sum()`` builds an op. The lower layer owns a :class:`Hook`
and calls it; the higher layer installs the implementation when it is
imported. Code that reaches a variable through ``symbolic.tensor`` (or
``symbolic``) has every hook installed by then.
"""


class Hook:
    """A callable slot that a higher layer fills at import.

    Parameters
    ----------
    purpose : str
        What calls the hook, for the error raised while it is empty.
    provider : str
        The module that installs it, named in that error.
    also : str
        A more common import that loads ``provider`` too, suggested in that
        error as well.

    Examples
    --------
    >>> twice = Hook("doubling", "mymodule")
    >>> twice.install(lambda x: 2 * x)
    >>> twice(4)
    8
    """

    def __init__(self, purpose, provider, also="symbolic.tensor"):
        self.purpose = purpose
        self.provider = provider
        self.also = also
        self.target = None

    def install(self, target):
        """Make calls to the hook call ``target``."""
        self.target = target

    def __call__(self, *args, **kwargs):
        if self.target is None:
            raise RuntimeError(
                f"{self.purpose}: this needs {self.provider}, which is not "
                f"imported yet; import {self.provider} (or {self.also}) first"
            )
        return self.target(*args, **kwargs)

    def __repr__(self):
        state = "empty" if self.target is None else f"-> {self.target!r}"
        return f"Hook({self.purpose!r}, {state})"
