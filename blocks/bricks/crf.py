"""A linear-chain conditional random field over tag sequences."""

import numpy

import symbolic
from blocks.bricks.base import application, lazy
from blocks.bricks.interfaces import Initializable
from blocks.roles import BIAS, WEIGHT, add_role
from blocks.utils.theano_utils import shared_floatx_nans
from symbolic import scan, tensor
from symbolic.gradient import disconnected_grad

__all__ = ["ChainCRF"]


def _logsumexp(values, axis):
    # Any shift gives the same value and the same gradient, so the shift
    # (the maximum, for stability) needs no gradient of its own.
    shift = disconnected_grad(values.max(axis=axis, keepdims=True))
    return tensor.log(tensor.exp(values - shift).sum(axis=axis)) + shift.sum(axis=axis)


class ChainCRF(Initializable):
    r"""A linear-chain CRF: tag sequence scores, their likelihood and decoding.

    A tag sequence :math:`y_1, \dots, y_T` of an input sequence of
    per-step tag scores :math:`x_t` (the *unaries*, from a recurrent
    network say) scores

    .. math:: s(y) = a_{y_1} + \sum_{t=1}^{T} x_{t, y_t}
              + \sum_{t=2}^{T} A_{y_{t-1}, y_t} + e_{y_T},

    with learned transition scores :math:`A`, start scores :math:`a` and
    end scores :math:`e`; its probability is :math:`\exp s(y) / Z`, where
    :math:`Z` sums over all :math:`K^T` sequences (the forward algorithm,
    in log space, computes it in :math:`O(T K^2)`).

    Parameters
    ----------
    num_tags : int
        The number of tags :math:`K`. Required by :meth:`~.Brick.allocate`.
    l1_regularization : float, optional
        Adds this times the sum of the absolute transition scores to
        :meth:`cost`; 0 by default.

    Notes
    -----
    Sequences are laid out as everywhere in Blocks: time on axis 0, the
    batch on axis 1. Unaries are ``(time, batch, num_tags)``, tags and
    masks ``(time, batch)``. A mask has ones for the steps of a sequence
    and zeros after its end; every sequence has at least one step.

    The start and end scores play the part of the padded begin and end
    states of other CRF layers.

    Initialized as any :class:`~blocks.bricks.Initializable` brick:
    ``transitions``, ``(num_tags, num_tags)`` (from tag, to tag), by
    ``weights_init`` with the role :data:`~blocks.roles.WEIGHT`;
    ``start_transitions`` and ``end_transitions``, ``(num_tags,)``, by
    ``biases_init`` with the role :data:`~blocks.roles.BIAS`.

    Examples
    --------
    >>> import numpy
    >>> from symbolic import tensor, function
    >>> from blocks.initialization import Constant
    >>> crf = ChainCRF(num_tags=2, weights_init=Constant(0),
    ...                biases_init=Constant(0))
    >>> crf.initialize()
    >>> unaries, tags = tensor.tensor3('unaries'), tensor.imatrix('tags')
    >>> nll = crf.negative_log_likelihood(unaries, tags)
    >>> x = numpy.zeros((3, 1, 2), dtype=unaries.dtype)
    >>> y = numpy.zeros((3, 1), dtype='int32')
    >>> numpy.allclose(function([unaries, tags], nll)(x, y), 3 * numpy.log(2))
    True

    """

    @lazy(allocation=["num_tags"])
    def __init__(self, num_tags, l1_regularization=0.0, **kwargs):
        super().__init__(**kwargs)
        self.num_tags = num_tags
        self.l1_regularization = l1_regularization

    def _allocate(self):
        K = self.num_tags
        self.transitions = shared_floatx_nans((K, K), name="transitions")
        add_role(self.transitions, WEIGHT)
        self.start_transitions = shared_floatx_nans((K,), name="start_transitions")
        self.end_transitions = shared_floatx_nans((K,), name="end_transitions")
        for bias in (self.start_transitions, self.end_transitions):
            add_role(bias, BIAS)
        self.parameters = [
            self.transitions,
            self.start_transitions,
            self.end_transitions,
        ]

    def _initialize(self):
        self._require_init("weights_init").initialize(self.transitions, self.rng)
        biases_init = self._require_init("biases_init")
        biases_init.initialize(self.start_transitions, self.rng)
        biases_init.initialize(self.end_transitions, self.rng)

    def _check(self, unaries, tags=None, mask=None):
        if unaries.ndim != 3:
            raise ValueError(
                f"brick {self.name!r}: unaries must be (time, batch, num_tags), "
                f"got {unaries.ndim} dimensions"
            )
        if tags is not None and tags.ndim != 2:
            raise ValueError(
                f"brick {self.name!r}: tags must be (time, batch), got "
                f"{tags.ndim} dimensions"
            )
        if tags is not None and not tags.dtype.startswith(("int", "uint")):
            raise TypeError(
                f"brick {self.name!r}: tags must be integers, got {tags.dtype}"
            )
        if mask is not None and mask.ndim != 2:
            raise ValueError(
                f"brick {self.name!r}: mask must be (time, batch), got "
                f"{mask.ndim} dimensions"
            )

    def _mask(self, unaries, mask):
        if mask is None:
            return tensor.ones(unaries.shape[:2], dtype=symbolic.config.floatX)
        return tensor.cast(mask, symbolic.config.floatX)

    @application(outputs=["log_partition"])
    def log_partition(self, unaries, mask=None):
        """The log of the sum of ``exp(score)`` over all tag sequences.

        Parameters
        ----------
        unaries : :class:`~tensor.TensorVariable`
            ``(time, batch, num_tags)``.
        mask : :class:`~tensor.TensorVariable`, optional
            ``(time, batch)``; all ones when absent.

        Returns
        -------
        log_partition : :class:`~tensor.TensorVariable`
            ``(batch,)``.

        """
        self._check(unaries, mask=mask)
        # log sum_i exp(f_i + A_ij) = m + c_j + log sum_i exp(f_i - m) exp(A_ij - c_j)
        # for any shifts m and c_j: one matrix product per step, instead of a
        # (batch, tags, tags) tensor. With m the maximum of f and c_j that of
        # column j, no exponential overflows; a tag that no path reaches
        # with a relative weight above the smallest float gets that weight.
        column_shift = disconnected_grad(self.transitions.max(axis=0))
        exp_transitions = tensor.exp(self.transitions - column_shift[None, :])
        tiny = numpy.asarray(
            numpy.finfo(symbolic.config.floatX).tiny, dtype=symbolic.config.floatX
        )

        def step(unary, *args):
            forward = args[-1]
            shift = disconnected_grad(forward.max(axis=1, keepdims=True))
            total = tensor.dot(tensor.exp(forward - shift), exp_transitions)
            new = tensor.log(tensor.maximum(total, tiny)) + shift + column_shift + unary
            if len(args) == 1:
                return new
            keep = args[0][:, None]
            return keep * new + (1 - keep) * forward

        first = unaries[0] + self.start_transitions[None, :]
        # Without a mask the step skips the masking arithmetic.
        sequences = [unaries[1:]]
        if mask is not None:
            sequences.append(self._mask(unaries, mask)[1:])
        forwards, _ = scan(
            step,
            sequences=sequences,
            outputs_info=[first],
            name=f"{self.name}_forward_scan",
        )
        last = tensor.concatenate([first[None], forwards], axis=0)[-1]
        return _logsumexp(last + self.end_transitions[None, :], axis=1)

    @application(outputs=["score"])
    def score(self, unaries, tags, mask=None):
        """The score of given tag sequences.

        Parameters
        ----------
        unaries : :class:`~tensor.TensorVariable`
            ``(time, batch, num_tags)``.
        tags : :class:`~tensor.TensorVariable`
            ``(time, batch)`` integer tags.
        mask : :class:`~tensor.TensorVariable`, optional
            ``(time, batch)``; all ones when absent.

        Returns
        -------
        score : :class:`~tensor.TensorVariable`
            ``(batch,)``.

        """
        self._check(unaries, tags, mask)
        mask = self._mask(unaries, mask)
        floatx = symbolic.config.floatX
        one_hot = tensor.cast(
            tensor.eq(tags[:, :, None], tensor.arange(self.num_tags)[None, None, :]),
            floatx,
        )
        unary_scores = ((unaries * one_hot).sum(axis=2) * mask).sum(axis=0)
        transition_scores = (self.transitions[tags[:-1], tags[1:]] * mask[1:]).sum(
            axis=0
        )
        last_step = tensor.cast(mask.sum(axis=0), "int64") - 1
        last_tags = tags[last_step, tensor.arange(tags.shape[1])]
        return (
            unary_scores
            + transition_scores
            + self.start_transitions[tags[0]]
            + self.end_transitions[last_tags]
        )

    @application(outputs=["nll"])
    def negative_log_likelihood(self, unaries, tags, mask=None):
        """``-log p(tags | unaries)`` of each sequence, ``(batch,)``.

        Takes the arguments of :meth:`score`.

        """
        return self.log_partition(unaries, mask) - self.score(unaries, tags, mask)

    @application(outputs=["cost"])
    def cost(self, unaries, tags, mask=None):
        """The mean negative log-likelihood plus the l1 penalty, a scalar.

        Takes the arguments of :meth:`score`.

        """
        cost = self.negative_log_likelihood(unaries, tags, mask).mean()
        if self.l1_regularization:
            penalty = numpy.asarray(
                self.l1_regularization, dtype=symbolic.config.floatX
            )
            cost = cost + penalty * abs(self.transitions).sum()
        return cost

    @application(outputs=["tags"])
    def decode(self, unaries, mask=None):
        """The most likely tag sequences (Viterbi).

        Parameters
        ----------
        unaries : :class:`~tensor.TensorVariable`
            ``(time, batch, num_tags)``.
        mask : :class:`~tensor.TensorVariable`, optional
            ``(time, batch)``; all ones when absent.

        Returns
        -------
        tags : :class:`~tensor.TensorVariable`
            ``(time, batch)`` int64 tags, zero after the end of a sequence.

        """
        self._check(unaries, mask=mask)
        mask = self._mask(unaries, mask)
        transitions = self.transitions
        stay = tensor.arange(self.num_tags)[None, :]

        def forward_step(unary, step_mask, best):
            scores = best[:, :, None] + transitions[None, :, :]
            keep = step_mask[:, None]
            new_best = scores.max(axis=1) + unary
            pointers = tensor.argmax(scores, axis=1)
            # Past the end a tag points to itself, so backtracking carries
            # the last real tag through the padding unchanged.
            pointers = tensor.switch(keep, pointers, stay)
            return keep * new_best + (1 - keep) * best, pointers

        first = unaries[0] + self.start_transitions[None, :]
        (bests, pointers), _ = scan(
            forward_step,
            sequences=[unaries[1:], mask[1:]],
            outputs_info=[first, None],
            name=f"{self.name}_viterbi_scan",
        )
        last_best = tensor.concatenate([first[None], bests], axis=0)[-1]
        last_tags = tensor.argmax(last_best + self.end_transitions[None, :], axis=1)
        batch = tensor.arange(unaries.shape[1])

        def backward_step(step_pointers, tag):
            return step_pointers[batch, tag]

        earlier_tags, _ = scan(
            backward_step,
            sequences=[pointers],
            outputs_info=[last_tags],
            go_backwards=True,
            name=f"{self.name}_backtrack_scan",
        )
        tags = tensor.concatenate([earlier_tags[::-1], last_tags[None]], axis=0)
        return tags * tensor.cast(mask, tags.dtype)

    def get_dim(self, name):
        if name == "unaries":
            return self.num_tags
        if name in ("tags", "mask"):
            return 0
        return super().get_dim(name)
