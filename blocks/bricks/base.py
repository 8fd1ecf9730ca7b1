"""Bricks, application methods and lazy configuration.

A brick is a parameterized symbolic transformation. Its methods decorated
with :func:`application` build graphs: every symbolic input and output of an
application call is wrapped in an identity copy named
``<brick>_<application>_<argument>`` and annotated with the brick, the call
(an :class:`ApplicationCall`) and the role :data:`~blocks.roles.INPUT` or
:data:`~blocks.roles.OUTPUT`. This is what lets
:class:`~blocks.graph.ComputationGraph` and
:class:`~blocks.filter.VariableFilter` find variables by brick, role and name
later.

"""

import inspect
import logging
import warnings
from abc import ABCMeta
from collections import OrderedDict
from operator import attrgetter

from blocks.bricks.application_call import ApplicationCall
from blocks.bricks.brick_lists import Parameters
from blocks.bricks.lazy import (
    LazyNone,
    NoneAllocation,
    NoneInitialization,
    args_to_kwargs,
    create_unbound_method,
    lazy,
    rename_function,
)
from blocks.bricks.tagging import copy_and_tag
from blocks.graph.annotations import Annotation
from blocks.roles import INPUT, OUTPUT
from blocks.utils import pack, repr_attrs, reraise_as, unpack
from blocks.utils.containers import AnnotatingList
from symbolic import tensor

logger = logging.getLogger(__name__)

BRICK_DELIMITER = "/"

# Application defines a method named ``property``, which hides the builtin in
# the rest of its class body; this alias stays reachable there.
property_ = property

__all__ = [
    "BRICK_DELIMITER",
    "Application",
    "ApplicationCall",
    "BoundApplication",
    "Brick",
    "Children",
    "LazyNone",
    "NoneAllocation",
    "NoneInitialization",
    "Parameters",
    "application",
    "args_to_kwargs",
    "copy_and_tag",
    "create_unbound_method",
    "lazy",
    "rename_function",
]


class Children(AnnotatingList):
    """The children of a brick; adding one records the brick as its parent.

    Parameters
    ----------
    brick : Brick
        The parent.
    items : iterable, optional
        The initial children.

    """

    def __init__(self, brick, items=None):
        self.brick = brick
        super().__init__(items)

    def _setitem(self, key, value):
        if value is not None:
            if not isinstance(value, Brick):
                raise TypeError(
                    f"a child of brick {self.brick.name!r} must be a Brick, got "
                    f"{value!r}"
                )
            value.parents.append(self.brick)

    def _delitem(self, key):
        child = self._items[key]
        if child is not None:
            child.parents.remove(self.brick)


class Application:
    """An application method of a brick class.

    Created by the :func:`application` decorator. It is a descriptor: on a
    brick instance it returns a :class:`BoundApplication`, on the class it
    returns itself. Keyword arguments given to the decorator (``inputs``,
    ``outputs``, ``states``...) become attributes, and
    :meth:`property` declares attributes computed per brick instance.

    Parameters
    ----------
    application_function : callable
        The method to wrap. It receives the brick and the inputs; an
        argument named ``application`` receives the bound application and
        one named ``application_call`` the :class:`ApplicationCall`.

    Attributes
    ----------
    application_function : callable
        The wrapped method.
    application_name : str
        Its name (also available as :attr:`name`).
    brick : type
        The brick class that defines the application; set by the brick
        metaclass.
    call_stack : list of Brick
        The bricks whose applications are running, shared by all
        applications, innermost last.
    delegate_function : str or None
        The name of the brick method set by :meth:`delegate`.

    Notes
    -----
    Applications pickle by reference, as methods do: the pickle holds the
    brick class and the application name.

    """

    call_stack = []

    def __init__(self, application_function):
        self.__doc__ = application_function.__doc__
        self.application_function = application_function
        self.application_name = application_function.__name__
        self.delegate_function = None
        self.properties = {}

    def property(self, name):
        """Decorate a brick method that computes attribute `name` per brick.

        Parameters
        ----------
        name : str
            The application attribute (e.g. ``'inputs'``) computed by the
            decorated method.

        Examples
        --------
        >>> class Foo(Brick):
        ...     def __init__(self, fancy_name, **kwargs):
        ...         super().__init__(**kwargs)
        ...         self.fancy_name = fancy_name
        ...     @application
        ...     def apply(self, *args):
        ...         return args
        ...     @apply.property('inputs')
        ...     def apply_inputs(self):
        ...         return [self.fancy_name]
        >>> Foo('x').apply.inputs
        ['x']

        """
        if not isinstance(name, str):
            raise ValueError(f"an application property needs a name, got {name!r}")

        def wrap_property(application_property):
            self.properties[name] = application_property.__name__
            return application_property

        return wrap_property

    @property_
    def name(self):
        return self.application_name

    def delegate(self, f):
        """Decorate a brick method returning an application to delegate to.

        Attributes not found on this application are then looked up on the
        application that the method returns.

        """
        self.delegate_function = f.__name__
        return f

    def __get__(self, instance, owner):
        if instance is None:
            return self
        bound_applications = instance.__dict__.setdefault("_bound_applications", {})
        key = f"{self.brick.__name__}.{self.application_name}"
        if key not in bound_applications:
            bound_applications[key] = BoundApplication(self, instance)
        return bound_applications[key]

    def __getattr__(self, name):
        # Attributes computed per instance look like properties on the class.
        properties = self.__dict__.get("properties", {})
        if name in properties:
            return property_(getattr(self.brick, properties[name]))
        raise AttributeError(
            f"application {self.__dict__.get('application_name')!r} has no "
            f"attribute {name!r}"
        )

    def __setattr__(self, name, value):
        if name in self.__dict__.get("properties", {}):
            raise AttributeError(
                f"attribute {name!r} of application {self.application_name!r} is "
                f"computed by a property and cannot be set"
            )
        super().__setattr__(name, value)

    @property_
    def inputs(self):
        return self._inputs

    @inputs.setter
    def inputs(self, inputs):
        spec = inspect.getfullargspec(self.application_function)
        known = [*spec.args, spec.varargs]
        unknown = [input_ for input_ in inputs if input_ not in known]
        if unknown:
            raise ValueError(
                f"application {self.application_name!r} declares inputs "
                f"{unknown} that are not arguments of its method"
            )
        self._inputs = inputs

    def __call__(self, brick, *args, **kwargs):
        if not isinstance(brick, Brick):
            raise TypeError(
                f"application {self.application_name!r} must be called with a "
                f"brick as its first argument, got {brick!r}"
            )
        return self.apply(self.__get__(brick, type(brick)), *args, **kwargs)

    def apply(self, bound_application, *args, **kwargs):
        """Run the application, tagging its inputs and outputs.

        Parameters
        ----------
        bound_application : BoundApplication
            The application bound to the brick that runs it.
        *args, **kwargs
            The inputs. The keywords ``as_dict``, ``as_list`` and
            ``call_id`` are taken by this method.

        Returns
        -------
        object
            The single output, a list (``as_list=True``) or an OrderedDict
            keyed by output name (``as_dict=True``).

        """
        as_dict = kwargs.pop("as_dict", False)
        as_list = kwargs.pop("as_list", False)
        call_id = kwargs.pop("call_id", None)
        if as_list and as_dict:
            raise ValueError("as_list and as_dict cannot both be True")

        brick = bound_application.brick
        spec = inspect.getfullargspec(self.application_function)
        arg_names = spec.args[1:]

        call = ApplicationCall(bound_application)
        call.metadata["call_id"] = call_id
        args = list(args)
        if "application" in arg_names:
            args.insert(arg_names.index("application"), bound_application)
        if "application_call" in arg_names:
            args.insert(arg_names.index("application_call"), call)

        if not brick.allocated:
            brick.allocate()

        for i, input_ in enumerate(args):
            if isinstance(input_, tensor.Variable):
                if i < len(arg_names):
                    name = arg_names[i]
                else:
                    name = f"{spec.varargs}_{i - len(arg_names)}"
                args[i] = copy_and_tag(input_, brick, call, INPUT, self.name, name)
        for name, input_ in kwargs.items():
            if isinstance(input_, tensor.Variable):
                kwargs[name] = copy_and_tag(input_, brick, call, INPUT, self.name, name)

        last_brick = self.call_stack[-1] if self.call_stack else None
        if (
            last_brick is not None
            and brick is not last_brick
            and brick not in last_brick.children
        ):
            warnings.warn(
                f"Brick {last_brick.name!r} calls brick {brick.name!r}, which is "
                f"not one of its children; is an @application decorator missing, "
                f"or should {brick.name!r} be added to {last_brick.name!r}.children?",
                stacklevel=2,
            )
        self.call_stack.append(brick)
        try:
            outputs = pack(self.application_function(brick, *args, **kwargs))
        finally:
            self.call_stack.pop()

        for i, output in enumerate(outputs):
            if isinstance(output, tensor.Variable):
                try:
                    name = bound_application.outputs[i]
                except AttributeError:
                    name = f"output_{i}"
                except IndexError:
                    reraise_as(
                        ValueError(
                            f"application {brick.name}.{self.name} returned more "
                            f"outputs than its declared outputs "
                            f"{bound_application.outputs}"
                        )
                    )
                outputs[i] = copy_and_tag(output, brick, call, OUTPUT, self.name, name)

        if as_list:
            return outputs
        if as_dict:
            return OrderedDict(zip(bound_application.outputs, outputs, strict=False))
        return unpack(outputs)

    def __reduce__(self):
        return (getattr, (self.brick, self.application_name))


class BoundApplication:
    """An application method bound to a brick instance.

    Calling it runs :meth:`Application.apply`. Attributes are looked up
    on the per-instance properties first, then on the application, then on
    the delegate.

    Parameters
    ----------
    application : Application
        The application.
    brick : Brick
        The brick it is bound to.

    """

    def __init__(self, application, brick):
        self.application = application
        self.brick = brick

    def __getattr__(self, name):
        if name in ("application", "brick") or name.startswith("__"):
            raise AttributeError(name)
        if name in ("delegate_function", "properties"):
            return getattr(self.application, name)
        properties = self.application.properties
        if name in properties:
            return getattr(self.brick, properties[name])()
        try:
            return getattr(self.application, name)
        except AttributeError:
            if self.application.delegate_function:
                delegate = getattr(self.brick, self.application.delegate_function)()
                return getattr(delegate, name)
            raise AttributeError(
                f"application {self.brick.name}.{self.application.name} has no "
                f"attribute {name!r}"
            ) from None

    @property
    def name(self):
        return self.application.name

    def __call__(self, *args, **kwargs):
        return self.application.apply(self, *args, **kwargs)

    def __repr__(self):
        return f"<BoundApplication {self.brick.name}.{self.name}>"


class _Brick(ABCMeta):
    """Metaclass that attaches brick classes to their applications.

    Before the class is created, each decorator in its ``decorators``
    attribute (see :class:`~blocks.bricks.wrappers.BrickWrapper`) may add
    applications to the namespace.

    """

    def __new__(mcs, name, bases, namespace, **kwargs):
        for decorator in namespace.get("decorators", []):
            decorator(mcs, name, bases, namespace)
        brick = super().__new__(mcs, name, bases, namespace, **kwargs)
        for attr in namespace.values():
            if isinstance(attr, Application):
                attr.brick = brick
        return brick


def _allocation_error(brick, error):
    """The error of a failed allocation, naming the brick and its sizes."""
    settings = ", ".join(
        f"{name}={getattr(brick, name, None)!r}"
        for name in getattr(brick, "allocation_args", [])
    )
    kind = (
        type(error)
        if type(error) in (ValueError, TypeError, MemoryError)
        else ValueError
    )
    return kind(
        f"cannot allocate the parameters of the brick {brick.name!r} "
        f"({type(brick).__name__}({settings})): {error}"
    )


class Brick(Annotation, metaclass=_Brick):
    """A brick encapsulates symbolic operations with parameters.

    A brick goes through these stages:

    1. Construction: ``__init__`` sets the configuration and creates the
       children.
    2. Allocation: :meth:`allocate` first configures the children
       (:meth:`push_allocation_config`), then creates the shared variables of
       the parameters, filled with NaN.
    3. In either order:

       a. Application: an application method builds part of a graph,
          allocating first if needed.
       b. Initialization: :meth:`initialize` configures the children
          (:meth:`push_initialization_config`) and sets the numerical values
          of the parameters.

    Most bricks are lazy (see :func:`lazy`): configuration left out of the
    constructor can be set later as attributes, as long as it is set before
    the stage that needs it.

    Parameters
    ----------
    name : str, optional
        The name of the brick; the lowercased class name by default.
    children : list of Brick, optional
        The children of the brick.

    Attributes
    ----------
    name : str
        The name of the brick.
    print_shapes : bool
        False by default. If True, the shapes of the inputs and outputs of
        every application call are logged (at INFO level) when a compiled
        function computes them.
    parameters : list of :class:`~tensor.TensorSharedVariable`
        Set by :meth:`allocate`. Entries may be None so that a parameter
        keeps its index whatever the configuration.
    children : list of Brick
        The children of this brick.
    parents : list of Brick
        The bricks that have this brick as a child.
    allocated : bool
        Whether :meth:`allocate` has run.
    initialized : bool
        Whether :meth:`initialize` has run.
    allocation_config_pushed : bool
        Whether :meth:`allocate` or :meth:`push_allocation_config` has run.
    initialization_config_pushed : bool
        Whether :meth:`initialize` or :meth:`push_initialization_config` has
        run.

    Notes
    -----
    Subclasses call ``super().__init__(**kwargs)`` at the start of their
    ``__init__``, create shared variables in :meth:`_allocate`, set their
    values in :meth:`_initialize`, and configure their children in
    :meth:`_push_allocation_config` and :meth:`_push_initialization_config`.

    Examples
    --------
    >>> import symbolic
    >>> from blocks.initialization import IsotropicGaussian, Constant
    >>> from blocks.bricks import Linear
    >>> linear = Linear(input_dim=5, output_dim=3,
    ...                 weights_init=IsotropicGaussian(),
    ...                 biases_init=Constant(0))
    >>> x = symbolic.tensor.vector()
    >>> linear.apply(x)  # Calls linear.allocate() automatically
    linear_apply_output
    >>> linear.initialize()  # Initializes the weight matrix

    """

    print_shapes = False

    def __init__(self, name=None, children=None):
        super().__init__()
        if name is None:
            name = self.__class__.__name__.lower()
        self.name = name
        self.parents = []
        self.children = children if children is not None else []
        self.allocated = False
        self.allocation_config_pushed = False
        self.initialized = False
        self.initialization_config_pushed = False

    def __repr__(self):
        return repr_attrs(self, "name")

    @property
    def parameters(self):
        if "_parameters" not in self.__dict__:
            raise AttributeError(
                f"'{self.__class__.__name__}' object has no attribute 'parameters'"
            )
        return self._parameters

    @parameters.setter
    def parameters(self, value):
        self._parameters = Parameters(self, value)

    @property
    def children(self):
        return self._children

    @children.setter
    def children(self, value):
        old = self.__dict__.get("_children")
        if old is not None:
            del old[:]
        self._children = Children(self, value)

    def _check_lazy_config(self, stage, names, sentinel):
        for attr in names:
            if getattr(self, attr, sentinel) is sentinel:
                cls = self.__class__.__name__
                raise ValueError(
                    f"{stage} config not set: {attr} (set {cls}.{attr} of brick "
                    f"{self.name!r}, in the constructor or as an attribute)"
                )

    def allocate(self):
        """Allocate the shared variables of the parameters.

        Pushes the allocation configuration to the children first if that
        has not been done, allocates the children, then resets
        :attr:`parameters` and the brick's auxiliary variables to empty
        lists and calls :meth:`_allocate`, so that allocating again starts
        afresh.

        Raises
        ------
        ValueError
            If an allocation argument of the brick is still unset; the
            message names the brick and the attribute.

        """
        self._check_lazy_config(
            "allocation", getattr(self, "allocation_args", []), NoneAllocation
        )
        if not self.allocation_config_pushed:
            self.push_allocation_config()
        for child in self.children:
            child.allocate()
        self.parameters = []
        self.auxiliary_variables = []
        try:
            self._allocate()
        except (ValueError, TypeError, MemoryError) as error:
            raise _allocation_error(self, error) from error
        self.allocated = True

    def _allocate(self):
        """Create the shared variables of the parameters (a hook)."""

    def initialize(self):
        """Initialize the parameters.

        Allocates first if needed, pushes the initialization configuration
        to the children if that has not been done, initializes the
        children, then calls :meth:`_initialize`.

        """
        if not self.allocated:
            self.allocate()
        self._check_lazy_config(
            "initialization",
            getattr(self, "initialization_args", []),
            NoneInitialization,
        )
        if not self.initialization_config_pushed:
            self.push_initialization_config()
        for child in self.children:
            child.initialize()
        self._initialize()
        self.initialized = True

    def _initialize(self):
        """Set the values of the parameters (a hook)."""

    def push_allocation_config(self):
        """Push the allocation configuration down to the children.

        Called by :meth:`allocate`; call it by hand to override the
        configuration a child receives before allocating.

        """
        self._push_allocation_config()
        self.allocation_config_pushed = True
        for child in self.children:
            try:
                child.push_allocation_config()
            except Exception:
                self.allocation_config_pushed = False
                raise

    def _push_allocation_config(self):
        """Configure the children for allocation (a hook)."""

    def push_initialization_config(self):
        """Push the initialization configuration down to the children.

        Called by :meth:`initialize`; call it by hand to override the
        configuration a child receives before initializing.

        """
        self._push_initialization_config()
        self.initialization_config_pushed = True
        for child in self.children:
            try:
                child.push_initialization_config()
            except Exception:
                self.initialization_config_pushed = False
                raise

    def _push_initialization_config(self):
        """Configure the children for initialization (a hook)."""

    def get_dim(self, name):
        """Get the dimension of a named input or output of the brick.

        Parameters
        ----------
        name : str
            The name of the input or output.

        Raises
        ------
        ValueError
            If the brick knows no dimension of that name.

        """
        raise ValueError(
            f"brick {self.name!r} ({self.__class__.__name__}) has no dimension "
            f"information for {name!r}"
        )

    def get_dims(self, names):
        """Get the dimensions of several inputs or outputs.

        Parameters
        ----------
        names : list of str
            The names of the inputs or outputs.

        Returns
        -------
        list

        """
        return [self.get_dim(name) for name in names]

    def get_unique_path(self):
        """Return the bricks on one path from a root brick down to this one.

        Where a brick has several parents, the one with the smallest name is
        followed.

        """
        if self.parents:
            parent = min(self.parents, key=attrgetter("name"))
            return [*parent.get_unique_path(), self]
        return [self]

    def _named_parameters(self):
        """``(hierarchical name, parameter)`` of this brick and its descendants."""
        from blocks.utils import find_bricks

        return [
            (brick.get_hierarchical_name(parameter), parameter)
            for brick in find_bricks([self], lambda brick: True)
            for parameter in brick.parameters
        ]

    def get_weights(self):
        """The values and hierarchical names of the parameters, in a list.

        This brick's parameters come first, then its descendants', breadth
        first; see :meth:`blocks.model.Model.get_weights`.

        """
        from blocks.utils.weights import get_weights

        return get_weights(self._named_parameters())

    def set_weights(self, weights, check_name="ignore"):
        """Set the parameter values in the order of :meth:`get_weights`.

        See :meth:`blocks.model.Model.set_weights`.

        """
        from blocks.utils.weights import set_weights

        set_weights(self._named_parameters(), weights, check_name)

    def set_weights_by_name(self, weights, unmatched="raise"):
        """Set each parameter value from the weight of the same name.

        See :meth:`blocks.model.Model.set_weights_by_name`.

        """
        from blocks.utils.weights import set_weights_by_name

        set_weights_by_name(self._named_parameters(), weights, unmatched)

    def get_hierarchical_name(self, parameter, delimiter=BRICK_DELIMITER):
        """Return the hierarchical name of a parameter, e.g. ``/mlp/linear_0.W``.

        Parameters
        ----------
        parameter : :class:`~tensor.TensorSharedVariable`
            The parameter.
        delimiter : str, optional
            The separator between brick names; ``/`` by default.

        """
        path = delimiter.join(["", *(brick.name for brick in self.get_unique_path())])
        return f"{path}.{parameter.name}"


def application(*args, **kwargs):
    r"""Decorate a brick method that applies the brick to inputs.

    Used bare (``@application``) or with keyword arguments that become
    attributes of the :class:`Application` (``@application(inputs=['x'],
    outputs=['y'])``).

    Notes
    -----
    The method is not wrapped with :func:`functools.wraps`: applications
    pickle by reference (see :class:`Application`).

    Examples
    --------
    >>> class Foo(Brick):
    ...     @application(inputs=['x'], outputs=['y'])
    ...     def apply(self, x):
    ...         return x + 1
    ...     @application
    ...     def other_apply(self, x):
    ...         return x - 1
    >>> foo = Foo()
    >>> Foo.apply.inputs
    ['x']
    >>> foo.apply.outputs
    ['y']
    >>> Foo.other_apply  # doctest: +ELLIPSIS
    <blocks.bricks.base.Application object at ...>

    """
    if (args and kwargs) or len(args) > 1 or not (args or kwargs):
        raise ValueError("use @application either bare or with keyword arguments only")
    if args:
        return Application(args[0])

    def wrap_application(application_function):
        application = Application(application_function)
        for key, value in kwargs.items():
            setattr(application, key, value)
        return application

    return wrap_application
