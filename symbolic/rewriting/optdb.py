"""Theano's rewrite registration API, mapped onto our pipeline's phases.

Theano kept rewrites in databases: ``optdb`` (a sequence of stages placed by
number) holding the 'canonicalize', 'stabilize' and 'specialize'
equilibrium databases. Code written for it registers rewrites with
``register_canonicalize(lopt)`` or ``optdb.register(name, opt, position,
*tags)``. Here each registration becomes a rule of one of our phases (see
:func:`symbolic.rewriting.pipeline.register_rewrite`), so it runs in
FAST_RUN and can be excluded by name or tag with ``Mode.excluding``.

A rewrite registered without the 'fast_run' or 'fast_compile' tag runs only
in a mode that includes one of its tags, as in Theano.
"""

from symbolic.rewriting.core import GraphRewrite, NodeRewrite
from symbolic.rewriting.optimizers import as_node_rewrite
from symbolic.rewriting.pipeline import register_rewrite, remove_rewrite

#: Theano's positions of its stages in ``optdb``, and where each lands here.
POSITIONS = (
    (1.0, "canonicalize"),
    (1.5, "stabilize"),
    (48.9, "specialize"),
    (50.0, "fusion"),
)

_MODE_TAGS = ("fast_run", "fast_compile")


def phase_of_position(position):
    """The phase that runs where Theano's ``optdb`` position ``position`` ran."""
    for limit, phase in POSITIONS:
        if position <= limit:
            return phase
    return "inplace"


def _name_of(opt, name):
    if name:
        return name
    found = getattr(opt, "name", None) or getattr(opt, "__name__", None)
    if not found:
        raise ValueError(f"give a name= to register {opt!r}")
    return found


def _as_rule(opt):
    if isinstance(opt, (NodeRewrite, GraphRewrite)):
        return opt
    return as_node_rewrite(opt)


def _register(phase, name, opt, tags, order=None):
    rule = _as_rule(opt)
    if order is not None and isinstance(rule, GraphRewrite):
        rule = _with_order(rule, order)
    opt_in = not any(tag in _MODE_TAGS for tag in tags)
    return register_rewrite(rule, phase, tags=tags, name=name, opt_in=opt_in)


def _with_order(rule, order):
    import copy

    placed = copy.copy(rule)
    placed.order = order
    return placed


class PhaseDB:
    """One of Theano's equilibrium databases ('canonicalize', 'specialize'...)."""

    def __init__(self, phase, name=None):
        self.phase = phase
        self.name = name or phase

    def register(self, name, obj, *tags, **kwargs):
        """Register ``obj`` under ``name``; ``tags`` as in Theano ('fast_run'...)."""
        if "position" in kwargs:
            kwargs.pop("position")
        _register(self.phase, name, obj, tags)

    def remove(self, name):
        """Remove the rewrite registered as ``name``."""
        remove_rewrite(name)

    def __repr__(self):
        return f"PhaseDB({self.name})"


class OptimizationDatabase:
    """Theano's ``optdb``: stages placed by position, holding the phase databases.

    ``optdb['canonicalize']``, ``['stabilize']``, ``['specialize']``,
    ``['uncanonicalize']`` and ``['specialize_device']`` are the phase
    databases; ``optdb.register(name, opt, position, *tags)`` places a
    global or local optimizer by Theano's position numbers (1 canonicalize,
    1.5 stabilize, 2 specialize, 49 fusion, 75 in-place).
    """

    def __init__(self):
        self._dbs = {
            "canonicalize": PhaseDB("canonicalize"),
            "stabilize": PhaseDB("stabilize"),
            "specialize": PhaseDB("specialize"),
            "uncanonicalize": PhaseDB("specialize", "uncanonicalize"),
            "specialize_device": PhaseDB("specialize", "specialize_device"),
            "elemwise_fusion": PhaseDB("fusion", "elemwise_fusion"),
            "inplace_opt": PhaseDB("inplace", "inplace_opt"),
        }

    def __getitem__(self, name):
        try:
            return self._dbs[name]
        except KeyError:
            raise KeyError(
                f"optdb has no database {name!r}; known: {sorted(self._dbs)}"
            ) from None

    def __contains__(self, name):
        return name in self._dbs

    def register(self, name, obj, position, *tags, **kwargs):
        """Place ``obj`` (a global or local optimizer) at Theano's ``position``."""
        phase = phase_of_position(float(position))
        order = -1 if float(position) < 1.0 else 1
        _register(phase, name, obj, tags, order=order)

    def remove(self, name):
        """Remove the rewrite registered as ``name``."""
        remove_rewrite(name)


optdb = OptimizationDatabase()


def _register_in(db_name, doc):
    def register(lopt, *tags, **kwargs):
        if isinstance(lopt, str):
            # Used as @register_canonicalize('fast_compile', name=...)
            def decorate(inner):
                return register(inner, lopt, *tags, **kwargs)

            return decorate
        name = _name_of(lopt, kwargs.pop("name", None))
        optdb[db_name].register(name, lopt, "fast_run", *tags, **kwargs)
        return lopt

    register.__name__ = f"register_{db_name}"
    register.__doc__ = doc
    return register


register_canonicalize = _register_in(
    "canonicalize",
    "Register a local optimizer in the canonicalize phase (FAST_RUN); "
    "extra tags such as 'fast_compile' may follow. Returns it unchanged.",
)
register_stabilize = _register_in(
    "stabilize",
    "Register a local optimizer in the stabilize phase (FAST_RUN).",
)
register_specialize = _register_in(
    "specialize",
    "Register a local optimizer in the specialize phase (FAST_RUN).",
)
register_uncanonicalize = _register_in(
    "uncanonicalize",
    "Register a local optimizer run after canonicalization, with the "
    "specialize phase (FAST_RUN).",
)
register_specialize_device = _register_in(
    "specialize_device",
    "Register a local optimizer in the specialize phase (FAST_RUN).",
)


class Query:
    """Theano's database query: tags to include, require and exclude."""

    def __init__(
        self, include, require=None, exclude=None, subquery=None, position_cutoff=None
    ):
        self.include = set(include)
        self.require = set(require or ())
        self.exclude = set(exclude or ())
        self.subquery = subquery or {}
        self.position_cutoff = position_cutoff

    def including(self, *tags):
        return Query(self.include | set(tags), self.require, self.exclude)

    def excluding(self, *tags):
        return Query(self.include, self.require, self.exclude | set(tags))

    def requiring(self, *tags):
        return Query(self.include, self.require | set(tags), self.exclude)


__all__ = [
    "OptimizationDatabase",
    "PhaseDB",
    "Query",
    "optdb",
    "phase_of_position",
    "register_canonicalize",
    "register_specialize",
    "register_specialize_device",
    "register_stabilize",
    "register_uncanonicalize",
]
