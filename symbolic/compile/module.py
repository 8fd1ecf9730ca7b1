"""Theano's legacy ``compile.module``: symbolic classes with state and methods.

Assigning to a :class:`Module` attribute classifies the value: an ownerless,
non-constant, non-shared Variable becomes a :class:`Member` (state named after
the attribute), a :class:`Method` a function, a Module an inner module, any
other Variable an :class:`External` expression; other values stay as they are.

``make()`` gives every Member one Container and compiles every Method with
``function``, the Members it touches being implicit inputs over those
Containers (the mechanism of ``function([n, ((c, c + n), 0)], [])``). Each
``make()`` allocates fresh Containers, so instances are independent; a module
object placed twice in one tree is made once, so its state is shared.
"""

from symbolic.compile.container import Container
from symbolic.compile.function import function
from symbolic.compile.io import In, SymbolicInput
from symbolic.compile.shared import SharedVariable
from symbolic.graph.basic import Constant, Variable
from symbolic.graph.traversal import ancestors

__all__ = [
    "External",
    "Member",
    "Method",
    "Module",
    "ModuleInstance",
    "default_initialize",
]


class _Symbolic:
    """A Variable assigned to a Module; ``module.<name>`` returns it as ``r``."""

    def __init__(self, r):
        if not isinstance(r, Variable):
            raise TypeError(f"{type(self).__name__} wraps a Variable, got {r!r}")
        self.r = r

    def __repr__(self):
        return f"{type(self).__name__}({self.r})"


class External(_Symbolic):
    """An expression assigned to a Module: usable in Methods, holds no state."""


class Member(_Symbolic):
    """State of a Module: an ownerless Variable given storage in each instance."""

    def __init__(self, r):
        if getattr(r, "owner", None) is not None:
            raise TypeError(f"a Member must be an ownerless Variable, got {r}")
        super().__init__(r)


class Method:
    """A function of a Module over its inputs and the Module's Members.

    Parameters
    ----------
    inputs : Variable, In, or list of them
        The explicit arguments of the compiled method.
    outputs : Variable, list of Variables, or None
        What a call returns (one value, a list, or nothing).
    updates : dict, optional
        Maps Members (Variables, or names, dotted for inner modules) to the
        expressions they take after each call. ``.updates`` is a mutable dict
        until ``make``; ``**kwupdates`` adds more by name (``c=c + n``).
    mode : Mode or str, optional
        Overrides the mode given to ``make`` for this method.

    """

    def __init__(self, inputs, outputs=None, updates=None, mode=None, **kwupdates):
        if isinstance(inputs, (Variable, SymbolicInput)):
            inputs = [inputs]
        self.inputs = list(inputs)
        for item in self.inputs:
            if not isinstance(item, (Variable, SymbolicInput)):
                raise TypeError(f"Method inputs must be Variables or In, got {item!r}")
        self.outputs = [] if outputs is None else outputs
        self.updates = {**(updates or {}), **kwupdates}
        self.mode = mode

    def __repr__(self):
        return f"Method({self.inputs}, {self.outputs}, updates={self.updates})"


def _wrap(name, value):
    """Classify a value assigned to a Module attribute (None: a plain value)."""
    if isinstance(value, (_Symbolic, Method, Module)):
        return value
    if isinstance(value, Variable):
        if value.owner is None and not isinstance(value, (Constant, SharedVariable)):
            if value.name is None:
                value.name = name
            return Member(value)
        return External(value)
    return None


class Module:
    """A symbolic class: Members (state), Methods, and inner Modules.

    Subclass it and assign attributes in ``__init__`` (after calling
    ``super().__init__()``), or assign them on a plain ``Module()``.

    Examples
    --------
    >>> from symbolic import tensor as T
    >>> from symbolic.compile import module as M
    >>> m = M.Module()
    >>> n = T.scalar('n')
    >>> m.c = T.scalar()
    >>> m.inc = M.Method(n, [], updates={m.c: m.c + n})
    >>> inst = m.make(c=0)
    >>> _ = inst.inc(2)
    >>> float(inst.c)
    2.0

    """

    def __init__(self):
        # setdefault: a subclass may assign before calling Module.__init__.
        self.__dict__.setdefault("_components", {})

    def __setattr__(self, name, value):
        if name.startswith("_"):
            object.__setattr__(self, name, value)
            return
        if "_components" not in self.__dict__:
            Module.__init__(self)
        if callable(getattr(type(self), name, None)):
            raise AttributeError(
                f"cannot assign {name!r} on {type(self).__name__}: the name is "
                "taken by a method of the class"
            )
        component = _wrap(name, value)
        if component is None:
            self._components.pop(name, None)
            object.__setattr__(self, name, value)
        else:
            self.__dict__.pop(name, None)
            self._components[name] = component

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        components = self.__dict__.get("_components", {})
        if name not in components:
            raise AttributeError(
                f"{type(self).__name__} has no attribute {name!r}; its "
                f"components are {sorted(components)}"
            )
        component = components[name]
        if isinstance(component, _Symbolic):
            return component.r
        return component

    def resolve(self, symbol, filter=None):
        """Return the component named ``symbol`` or wrapping the Variable ``symbol``.

        A dotted name (``"inner.c"``) descends into inner modules; ``filter``
        (a class such as Member or Method) restricts the kind accepted. A
        LookupError lists what exists when nothing matches.
        """
        if isinstance(symbol, Variable):
            found = (c for _, c in self._walk() if getattr(c, "r", None) is symbol)
            component = next(found, None)
            if component is None:
                members = sorted(self._members().values())
                raise LookupError(
                    f"variable {symbol} is not a Member or External of this module "
                    f"or its inner modules; members are {members}"
                )
        elif isinstance(symbol, str):
            module = self
            for depth, part in enumerate(symbol.split(".")):
                if not isinstance(module, Module):
                    raise LookupError(
                        f"cannot resolve {symbol!r}: {module} is not a Module"
                    )
                if part not in module._components:
                    where = ".".join(symbol.split(".")[:depth]) or "this module"
                    raise LookupError(
                        f"cannot resolve {symbol!r}: {where} has no component "
                        f"{part!r}; it has {sorted(module._components)}"
                    )
                module = component = module._components[part]
        else:
            raise TypeError(f"resolve expects a str or Variable, got {symbol!r}")
        if filter is not None and not isinstance(component, filter):
            raise LookupError(
                f"{symbol} is a {type(component).__name__}, expected a "
                f"{filter.__name__}"
            )
        return component

    def _walk(self, prefix=""):
        """Yield (dotted name, component) for this module and its inner modules."""
        for name, component in self._components.items():
            yield prefix + name, component
            if isinstance(component, Module):
                yield from component._walk(f"{prefix}{name}.")

    def _members(self):
        """Map every Member variable of the tree to its first dotted name."""
        members = {}
        for path, component in self._walk():
            if isinstance(component, Member):
                members.setdefault(component.r, path)
        return members

    def make(self, mode=None, **init):
        """Allocate state, compile every Method, and return a ModuleInstance.

        Parameters
        ----------
        mode : Mode or str, optional
            The compilation mode of Methods without their own.
        **init
            Passed to ``_instance_initialize``; by default member values
            (``c=0``) and dicts for inner modules (``inner=dict(c=0)``).

        Returns
        -------
        ModuleInstance

        """
        storage = {v: Container(v, [None], name=p) for v, p in self._members().items()}
        inst = self._make_instance(mode, storage, {})
        self._initialize_tree(inst, set(init), set())
        self._instance_initialize(inst, **init)
        return inst

    def _make_instance(self, mode, storage, made):
        if id(self) in made:
            return made[id(self)]
        inst = ModuleInstance.__new__(ModuleInstance)
        made[id(self)] = inst
        state = {k: v for k, v in self.__dict__.items() if not k.startswith("_")}
        state.update(_module=self, _containers={})
        members = self._members()
        for name, component in self._components.items():
            if isinstance(component, Member):
                state["_containers"][name] = storage[component.r]
            elif isinstance(component, Module):
                state[name] = component._make_instance(mode, storage, made)
            elif isinstance(component, Method):
                state[name] = self._compile(name, component, members, storage, mode)
        inst.__dict__.update(state)
        return inst

    def _compile(self, name, method, members, storage, mode):
        """Compile one Method with the Members it touches as implicit inputs."""
        where = f"Method {name!r} of {type(self).__name__}"
        updates = {}
        for key, expr in method.updates.items():
            target = self.resolve(key) if isinstance(key, str) else key
            target = getattr(target, "r", target)
            if target not in members:
                raise ValueError(
                    f"{where} updates {key}, which is not a Member; members are "
                    f"{sorted(members.values())}"
                )
            try:
                updates[target] = target.type.filter_variable(expr)
            except TypeError as exc:
                raise TypeError(
                    f"{where}: the update of {members[target]!r} does not fit "
                    f"its type {target.type}: {exc}"
                ) from None
        outputs = method.outputs
        out_list = list(outputs) if isinstance(outputs, (list, tuple)) else [outputs]
        explicit = [getattr(i, "variable", i) for i in method.inputs]
        read = []
        for var in ancestors(out_list + list(updates.values()), blockers=explicit):
            if var.owner is not None or var in explicit or var in read:
                continue
            if isinstance(var, (Constant, SharedVariable)):
                continue
            if var not in members:
                raise ValueError(
                    f"{where} uses the variable {var}, which is neither one of its "
                    "inputs nor a Member of the module or its inner modules "
                    f"(members: {sorted(members.values())}); add it to the inputs "
                    "or assign it to the module"
                )
            read.append(var)
        clash = [members[v] for v in updates if v in explicit]
        if clash:
            raise ValueError(f"{where} updates {clash}, which are also its inputs")
        # In(variable, name, value, update): the member reads and writes its cell.
        specs = list(method.inputs) + [
            In(v, members[v], storage[v], updates.get(v), implicit=True)
            for v in members
            if v in read or v in updates
        ]
        fn = function(specs, outputs, mode=method.mode or mode, name=name)
        checked = [(members[v], storage[v]) for v in read]
        return BoundMethod(fn, checked)

    def _initialize_tree(self, inst, skip, done):
        """Initialize inner instances with no values, except those in ``skip``."""
        for name, component in self._components.items():
            sub = inst.__dict__.get(name)
            if isinstance(component, Module) and id(sub) not in done:
                done.add(id(sub))
                component._initialize_tree(sub, set(), done)
                if name not in skip:
                    component._instance_initialize(sub)

    def _instance_initialize(self, inst, **init):
        """Initialize a new instance; override to compute initial values.

        The default sets every ``name=value`` pair with ``setattr``.
        """
        default_initialize(inst, **init)


def default_initialize(inst, **init):
    """Set each Member ``name=value`` on ``inst``; a dict initializes an inner module.

    Any other name raises an AttributeError listing the names allowed.
    """
    allowed = set(inst._containers) | {
        k for k, v in inst.__dict__.items() if isinstance(v, ModuleInstance)
    }
    for name, value in init.items():
        if name not in allowed:
            raise AttributeError(
                f"cannot initialize {name!r}: it is not a Member or inner module "
                f"of {type(inst._module).__name__}; those are {sorted(allowed)}"
            )
        setattr(inst, name, value)


class BoundMethod:
    """A Method of an instance: its compiled ``function`` behind a state check.

    A call first checks that the Members it reads have values.
    """

    def __init__(self, fn, checked):
        self.function = fn
        self._checked = checked

    def __call__(self, *args, **kwargs):
        for name, container in self._checked:
            if container.storage[0] is None:
                raise ValueError(
                    f"{self.function.name}: Member {name!r} has no value; set it "
                    "on the instance or pass it to make()"
                )
        return self.function(*args, **kwargs)

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self.function, name)


class ModuleInstance:
    """What ``Module.make`` returns: a Module's state and compiled Methods.

    Member attributes read and write the stored values (filtered by the
    Member's type), Method attributes are :class:`BoundMethod` callables,
    inner modules are nested instances, and plain values are copied.
    """

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        if name in self._containers:
            return self._containers[name].value
        component = self._module._components.get(name)
        if isinstance(component, External):
            raise AttributeError(
                f"{name!r} is an expression (External) of the module, not state; "
                "compute it with a Method"
            )
        raise AttributeError(
            f"{type(self._module).__name__} instance has no attribute {name!r}; "
            f"members are {sorted(self._containers)}"
        )

    def __setattr__(self, name, value):
        if not name.startswith("_") and name in self._containers:
            self._containers[name].value = value
            return
        current = self.__dict__.get(name)
        if isinstance(current, ModuleInstance):
            if not isinstance(value, dict):
                raise TypeError(
                    f"inner module {name!r} is initialized with a dict of its "
                    f"members' values, got {type(value).__name__}"
                )
            current._module._instance_initialize(current, **value)
            return
        if isinstance(current, BoundMethod):
            raise AttributeError(f"cannot assign to the method {name!r}")
        object.__setattr__(self, name, value)

    def __repr__(self):
        values = ", ".join(f"{k}={c.value!r}" for k, c in self._containers.items())
        return f"<{type(self._module).__name__} instance: {values}>"
