"""A two-dimensional LSTM that scans a grid row by row."""

import symbolic
from blocks.bricks.base import application, lazy
from blocks.bricks.interfaces import Initializable
from blocks.bricks.simple import Logistic, Tanh
from blocks.roles import INITIAL_STATE, WEIGHT, add_role
from blocks.utils.theano_utils import shared_floatx_nans, shared_floatx_zeros
from symbolic import scan, tensor
from symbolic.gradient import grad_clip

__all__ = ["LSTM2D"]

_PEEPHOLES = (
    "W_cell_left_to_in",
    "W_cell_up_to_in",
    "W_cell_left_to_forget",
    "W_cell_up_to_forget",
    "W_cell_to_out",
)


class LSTM2D(Initializable):
    r"""An LSTM over a grid: each position sees its left and upper neighbours.

    The positions of an ``(height, width)`` grid are visited row by row,
    left to right. Position :math:`(r, c)` reads the states and cells of
    :math:`(r, c-1)` (*left*) and :math:`(r-1, c)` (*up*); outside the grid
    both are the initial state and cells. With pre-activations
    :math:`a = x + h_{left} U_{left} + h_{up} U_{up}`, split as for
    :class:`~blocks.bricks.LSTM` into input gate, forget gate, cell
    candidate and output gate blocks:

    .. math::

        i &= \sigma(a_i + p_{li} \odot c_{left} + p_{ui} \odot c_{up}) \\
        f &= \sigma(a_f + p_{lf} \odot c_{left} + p_{uf} \odot c_{up}) \\
        c &= f \odot \tfrac{1}{2}(c_{left} + c_{up}) + i \odot \tanh(a_c) \\
        o &= \sigma(a_o + p_{o} \odot c) \\
        h &= o \odot \tanh(c)

    the :math:`p` being the diagonal peephole weights.

    Parameters
    ----------
    dim : int
        Size of the states and cells. Required by :meth:`~.Brick.allocate`.
    activation, gate_activation : :class:`~.bricks.Brick`, optional
        :class:`~blocks.bricks.Tanh` and :class:`~blocks.bricks.Logistic`
        when None.
    peepholes : bool, optional
        Whether the gates see the cells; True by default.
    gradient_clipping : float, optional
        Clip the gradient through each position's pre-activations and
        cells to ``[-gradient_clipping, gradient_clipping]``; None (no
        clipping) by default.
    learn_initial_states : bool, optional
        Whether the border states and cells are learned parameters (True,
        the default) or zeros.

    Notes
    -----
    The input is ``(height, width, batch, 4 * dim)``: project the
    features first (with a :class:`~blocks.bricks.Linear` brick), as for
    :class:`~blocks.bricks.LSTM`. The outputs, states and cells, are
    ``(height, width, batch, dim)``.

    Parameters: ``W_left`` and ``W_up``, ``(dim, 4 * dim)``, and the
    peepholes (``(dim,)`` each), role :data:`~blocks.roles.WEIGHT`,
    initialized by ``weights_init``; ``initial_state`` and
    ``initial_cells``, ``(dim,)``, role
    :data:`~blocks.roles.INITIAL_STATE`, zero until trained.

    The grid is scanned by a scan over rows whose step scans the row's
    columns; the upper neighbours' contribution to a row is one matrix
    product before its scan. Memory grows with the number of positions,
    so the brick suits small feature maps.

    Examples
    --------
    >>> from symbolic import tensor
    >>> from blocks.initialization import IsotropicGaussian
    >>> lstm = LSTM2D(dim=3, weights_init=IsotropicGaussian(0.1))
    >>> lstm.initialize()
    >>> states, cells = lstm.apply(tensor.tensor4('x'))
    >>> states.ndim
    4

    """

    @lazy(allocation=["dim"])
    def __init__(
        self,
        dim,
        activation=None,
        gate_activation=None,
        peepholes=True,
        gradient_clipping=None,
        learn_initial_states=True,
        **kwargs,
    ):
        self.dim = dim
        self.activation = Tanh() if activation is None else activation
        self.gate_activation = (
            Logistic() if gate_activation is None else gate_activation
        )
        self.peepholes = peepholes
        if gradient_clipping is not None and gradient_clipping <= 0:
            raise ValueError(
                f"gradient_clipping must be positive or None, got {gradient_clipping!r}"
            )
        self.gradient_clipping = gradient_clipping
        self.learn_initial_states = learn_initial_states
        children = [self.activation, self.gate_activation, *kwargs.pop("children", [])]
        super().__init__(children=children, **kwargs)

    def get_dim(self, name):
        if name == "inputs":
            return 4 * self.dim
        if name in ("states", "cells"):
            return self.dim
        if name == "mask":
            return 0
        return super().get_dim(name)

    def _allocate(self):
        self.W_left = shared_floatx_nans((self.dim, 4 * self.dim), name="W_left")
        self.W_up = shared_floatx_nans((self.dim, 4 * self.dim), name="W_up")
        self._weights = [self.W_left, self.W_up]
        if self.peepholes:
            for name in _PEEPHOLES:
                weight = shared_floatx_nans((self.dim,), name=name)
                setattr(self, name, weight)
                self._weights.append(weight)
        for weight in self._weights:
            add_role(weight, WEIGHT)
        self.parameters = list(self._weights)
        if self.learn_initial_states:
            self.initial_state_ = shared_floatx_zeros((self.dim,), name="initial_state")
            self.initial_cells = shared_floatx_zeros((self.dim,), name="initial_cells")
            for state in (self.initial_state_, self.initial_cells):
                add_role(state, INITIAL_STATE)
                self.parameters.append(state)

    def _initialize(self):
        weights_init = self._require_init("weights_init")
        for weight in self._weights:
            weights_init.initialize(weight, self.rng)

    def _clip(self, variable):
        if self.gradient_clipping is None:
            return variable
        return grad_clip(variable, -self.gradient_clipping, self.gradient_clipping)

    def _border(self, parameter_name, batch_size):
        if self.learn_initial_states:
            parameter = getattr(self, parameter_name)
            return tensor.repeat(parameter[None, :], batch_size, 0)
        return tensor.zeros((batch_size, self.dim))

    def _peep(self, name, cells):
        if not self.peepholes:
            return 0
        return cells * getattr(self, name)

    @application(inputs=["inputs", "mask"], outputs=["states", "cells"])
    def apply(self, inputs, mask=None, states=None, cells=None, reverse=False):
        """Scan the grid.

        Parameters
        ----------
        inputs : :class:`~tensor.TensorVariable`
            ``(height, width, batch, 4 * dim)`` pre-activations.
        mask : :class:`~tensor.TensorVariable`, optional
            ``(height, width, batch)`` ones and zeros; where it is 0 the
            states and cells are zero. Meant for grids padded at the right
            and at the bottom, whose padding no real position reads.
        states, cells : :class:`~tensor.TensorVariable`, optional
            ``(batch, dim)``: the states and cells outside the grid,
            instead of the initial ones.
        reverse : bool, optional
            Scan right to left and bottom to top; False by default.

        Returns
        -------
        states, cells : :class:`~tensor.TensorVariable`
            ``(height, width, batch, dim)``.

        """
        if inputs.ndim != 4:
            raise ValueError(
                f"brick {self.name!r}: inputs must be (height, width, batch, "
                f"4 * dim), got {inputs.ndim} dimensions"
            )
        if mask is not None and mask.ndim != 3:
            raise ValueError(
                f"brick {self.name!r}: mask must be (height, width, batch), got "
                f"{mask.ndim} dimensions"
            )
        if reverse:
            inputs = inputs[::-1, ::-1]
            mask = None if mask is None else mask[::-1, ::-1]
        height, width, batch_size = inputs.shape[0], inputs.shape[1], inputs.shape[2]
        h_border = (
            self._border("initial_state_", batch_size) if states is None else states
        )
        c_border = self._border("initial_cells", batch_size) if cells is None else cells
        h_border = tensor.unbroadcast(h_border, 0, 1)
        c_border = tensor.unbroadcast(c_border, 0, 1)
        if mask is None:
            mask = tensor.ones((height, width, batch_size))
        mask = tensor.cast(mask, symbolic.config.floatX)
        h_first_up = tensor.unbroadcast(
            tensor.alloc(h_border, width, batch_size, self.dim), 0, 1, 2
        )
        c_first_up = tensor.unbroadcast(
            tensor.alloc(c_border, width, batch_size, self.dim), 0, 1, 2
        )
        dim = self.dim

        def position(x_up, c_up, step_mask, h_left, c_left):
            # x_up already holds the input and the upper state's product.
            pre = self._clip(x_up + tensor.dot(h_left, self.W_left))

            def block(k):
                return pre[:, k * dim : (k + 1) * dim]

            in_gate = self.gate_activation.apply(
                block(0)
                + self._peep("W_cell_left_to_in", c_left)
                + self._peep("W_cell_up_to_in", c_up)
            )
            forget_gate = self.gate_activation.apply(
                block(1)
                + self._peep("W_cell_left_to_forget", c_left)
                + self._peep("W_cell_up_to_forget", c_up)
            )
            c_new = forget_gate * (
                c_left + c_up
            ) * 0.5 + in_gate * self.activation.apply(block(2))
            c_new = self._clip(c_new)
            out_gate = self.gate_activation.apply(
                block(3) + self._peep("W_cell_to_out", c_new)
            )
            h_new = out_gate * self.activation.apply(c_new)
            keep = step_mask[:, None]
            return h_new * keep, c_new * keep

        def row(x_row, mask_row, h_up_row, c_up_row):
            # The upper neighbours of a whole row are known before it starts.
            x_up = x_row + tensor.dot(h_up_row, self.W_up)
            (h_row, c_row), _ = scan(
                position,
                sequences=[x_up, c_up_row, mask_row],
                outputs_info=[h_border, c_border],
                name=f"{self.name}_row_scan",
            )
            return h_row, c_row

        (h_all, c_all), _ = scan(
            row,
            sequences=[inputs, mask],
            outputs_info=[h_first_up, c_first_up],
            name=f"{self.name}_grid_scan",
        )
        if reverse:
            h_all, c_all = h_all[::-1, ::-1], c_all[::-1, ::-1]
        return h_all, c_all
