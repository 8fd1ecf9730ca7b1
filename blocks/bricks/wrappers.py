"""Wrappers that add behaviour to every application of a brick class."""

from blocks.bricks.base import Application, application, rename_function
from blocks.utils import dict_subset, pack
from symbolic import tensor

__all__ = ["BrickWrapper", "WithExtraDims"]

_WITH_EXTRA_DIMS_DOC = """Wraps the application method with reshapes.

        Parameters
        ----------
        extra_ndim : int, optional
            The number of extra dimensions. Default is zero.

        See Also
        --------
        {cls}.{method}
            For documentation of the wrapped application method.

        """


class BrickWrapper:
    """Base class for wrappers of brick classes.

    A wrapper extends a brick class with logic that runs around each of its
    applications, e.g. to handle inputs with more dimensions than the brick
    was written for. Since the brick metaclass creates applications, a
    wrapper is applied by listing it in the ``decorators`` attribute of a new
    brick class rather than as a class decorator:

    >>> from blocks.bricks.base import Brick
    >>> class WrappedBrick(Brick):
    ...     decorators = [WithExtraDims()]

    """

    def __call__(self, mcs, name, bases, namespace):
        """Wrap every application the new class inherits from its bases."""
        seen = set(namespace)
        for base in bases:
            for cls in base.__mro__:
                for attr_name, attr in vars(cls).items():
                    if isinstance(attr, Application) and attr_name not in seen:
                        seen.add(attr_name)
                        self.wrap(attr, namespace)

    def wrap(self, wrapped, namespace):
        """Wrap an application of the base brick.

        Overridden by subclasses to write the wrapping application (and
        anything else needed) into `namespace`.

        Parameters
        ----------
        wrapped : Application
            The application to wrap.
        namespace : dict
            The namespace of the class being created.

        """
        raise NotImplementedError


class WithExtraDims(BrickWrapper):
    """Wrap a brick's applications to handle inputs with extra dimensions.

    A brick written for ``(batch, features)`` data can often be reused on
    data with more leading axes, e.g. ``(time, batch, features)``. The
    wrapped applications take an ``extra_ndim`` keyword: the first
    ``extra_ndim + 1`` axes of every input are merged into one, the original
    application runs, and the first axis of every output is split back.

    All inputs and outputs must have the same number of extra dimensions,
    of the same lengths. The number is given by the caller rather than
    guessed, for simplicity and reliability.

    """

    def wrap(self, wrapped, namespace):
        def apply(self, application, *args, **kwargs):
            extra_ndim = kwargs.pop("extra_ndim", 0)
            inputs = dict(zip(application.inputs, args, strict=False))
            inputs.update(dict_subset(kwargs, application.inputs, must_have=False))
            leading_shape = None
            reshaped = {}
            for name, input_ in inputs.items():
                input_ = tensor.as_tensor_variable(input_)
                if leading_shape is None:
                    leading_shape = [input_.shape[i] for i in range(extra_ndim + 1)]
                if extra_ndim:
                    tail = [input_.shape[i] for i in range(extra_ndim + 1, input_.ndim)]
                    input_ = input_.reshape([-1, *tail], ndim=input_.ndim - extra_ndim)
                reshaped[name] = input_
            outputs = wrapped.__get__(self, None)(**reshaped)
            if not extra_ndim:
                return outputs
            outputs = pack(outputs)
            for i, output in enumerate(outputs):
                tail = [output.shape[j] for j in range(1, output.ndim)]
                outputs[i] = output.reshape(
                    [*leading_shape, *tail], ndim=output.ndim + extra_ndim
                )
            return outputs

        def apply_delegate(self):
            return wrapped.__get__(self, None)

        name = wrapped.application_name
        apply = application(rename_function(apply, name))
        apply.__doc__ = _WITH_EXTRA_DIMS_DOC.format(
            cls=wrapped.brick.__name__, method=name
        )
        apply_delegate = apply.delegate(
            rename_function(apply_delegate, f"{name}_delegate")
        )
        namespace[name] = apply
        namespace[f"{name}_delegate"] = apply_delegate
