"""Bricks that compute costs from targets and predictions."""

from abc import abstractmethod

import symbolic
from blocks.bricks.base import Brick, application
from symbolic import tensor

__all__ = [
    "AbsoluteError",
    "BinaryCrossEntropy",
    "CategoricalCrossEntropy",
    "Cost",
    "CostMatrix",
    "MisclassificationRate",
    "SquaredError",
]


class Cost(Brick):
    """Base class for costs: ``apply`` returns a scalar."""

    @abstractmethod
    @application
    def apply(self, *args, **kwargs):
        pass


class CostMatrix(Cost):
    """Base class for costs that can be computed element-wise.

    Assumes data of shape ``(batch, features)``: :meth:`apply` sums
    :meth:`cost_matrix` over the features and averages over the batch.

    """

    @application(outputs=["cost"])
    def apply(self, *args, **kwargs):
        return self.cost_matrix(*args, **kwargs).sum(axis=1).mean()

    @abstractmethod
    @application
    def cost_matrix(self, *args, **kwargs):
        pass


class BinaryCrossEntropy(CostMatrix):
    @application
    def cost_matrix(self, y, y_hat):
        return tensor.nnet.binary_crossentropy(y_hat, y)


class AbsoluteError(CostMatrix):
    @application
    def cost_matrix(self, y, y_hat):
        return abs(y - y_hat)


class SquaredError(CostMatrix):
    @application
    def cost_matrix(self, y, y_hat):
        return tensor.sqr(y - y_hat)


class CategoricalCrossEntropy(Cost):
    @application(outputs=["cost"])
    def apply(self, y, y_hat):
        return tensor.nnet.categorical_crossentropy(y_hat, y).mean()


class MisclassificationRate(Cost):
    """The misclassification rate of a minibatch.

    Parameters
    ----------
    top_k : int, optional
        An example counts as correctly classified when its true class is
        among the `top_k` highest scores. 1 by default.

    Notes
    -----
    Ties for the `top_k`-th place count against the model: an example
    whose true class ties with others for that place is a mistake.

    """

    def __init__(self, top_k=1):
        self.top_k = top_k
        super().__init__()

    @application(outputs=["error_rate"])
    def apply(self, y, y_hat):
        # Pickles made before top_k existed lack the attribute.
        top_k = getattr(self, "top_k", 1)
        if top_k == 1:
            mistakes = tensor.neq(y, y_hat.argmax(axis=1))
        else:
            row_offsets = tensor.arange(0, y_hat.flatten().shape[0], y_hat.shape[1])
            truth_score = y_hat.flatten()[row_offsets + y]
            # Greater or equal: the true class must be strictly within the
            # top k, so ties for k-th place cannot widen the guess list.
            higher_scoring = tensor.ge(y_hat, truth_score.dimshuffle(0, "x"))
            # The true class counts itself as greater or equal.
            num_higher = higher_scoring.sum(axis=1) - 1
            mistakes = tensor.ge(num_higher, top_k)
        return mistakes.mean(dtype=symbolic.config.floatX)
