"""The centre loss: features pulled toward running centres of their class."""

import numpy

import symbolic
from blocks.bricks.base import application, lazy
from blocks.bricks.cost import Cost
from blocks.bricks.interfaces import RNGMixin
from blocks.initialization import Constant
from blocks.roles import PERSISTENT, add_role
from blocks.utils.theano_utils import shared_floatx_nans
from symbolic import tensor

__all__ = ["CenterLoss"]


class CenterLoss(RNGMixin, Cost):
    r"""Half the mean squared distance of features to their class centre.

    For a batch of features :math:`f_i` with labels :math:`y_i` the cost is
    :math:`\frac{1}{2N}\sum_i \lVert f_i - c_{y_i}\rVert^2` [WZLQ16]_.
    The centres :math:`c` are not learned from the cost: each application
    also produces an update that moves every centre seen in the batch
    toward the mean of that class's features,
    ``c_new = alpha * batch_mean + (1 - alpha) * c_old``; centres of
    classes absent from the batch stay.

    Parameters
    ----------
    feature_dim : int
        The size of a feature vector. Required by :meth:`~.Brick.allocate`.
    num_classes : int
        The number of classes, hence of centres. Required by
        :meth:`~.Brick.allocate`.
    alpha : float, optional
        How far a centre moves toward its batch mean on each update; 0.1
        by default.
    centers_init : :class:`~blocks.initialization.NdarrayInitialization`, optional
        The initial centres; ``Constant(0)`` by default.

    Notes
    -----
    The centres ``centers``, ``(num_classes, feature_dim)``, have the role
    :data:`~blocks.roles.PERSISTENT` but not
    :data:`~blocks.roles.PARAMETER`, so gradient descent leaves them alone.
    Their update is attached to the application call, where
    :class:`~blocks.graph.ComputationGraph` finds it: pass
    ``ComputationGraph(cost).updates`` to
    :meth:`~blocks.algorithms.GradientDescent.add_updates` (or to a
    function's ``updates``) and every training step applies it.

    References
    ----------
    .. [WZLQ16] Yandong Wen, Kaipeng Zhang, Zhifeng Li and Yu Qiao, *A
       discriminative feature learning approach for deep face
       recognition*, ECCV (2016).

    Examples
    --------
    >>> import numpy
    >>> from symbolic import tensor, function
    >>> from blocks.graph import ComputationGraph
    >>> center_loss = CenterLoss(feature_dim=2, num_classes=3, alpha=0.5)
    >>> center_loss.initialize()
    >>> features, labels = tensor.matrix('features'), tensor.ivector('labels')
    >>> cost = center_loss.apply(features, labels)
    >>> graph = ComputationGraph(cost)
    >>> step = function([features, labels], cost, updates=graph.updates)
    >>> float(step(numpy.array([[2., 4.], [4., 0.]], dtype=features.dtype),
    ...            numpy.array([1, 1], dtype='int32')))
    9.0
    >>> center_loss.centers.get_value().tolist()
    [[0.0, 0.0], [1.5, 1.0], [0.0, 0.0]]

    """

    @lazy(allocation=["feature_dim", "num_classes"])
    def __init__(
        self, feature_dim, num_classes, alpha=0.1, centers_init=None, **kwargs
    ):
        super().__init__(**kwargs)
        self.feature_dim = feature_dim
        self.num_classes = num_classes
        self.alpha = alpha
        self.centers_init = Constant(0) if centers_init is None else centers_init

    def _allocate(self):
        self.centers = shared_floatx_nans(
            (self.num_classes, self.feature_dim), name="centers"
        )
        add_role(self.centers, PERSISTENT)
        # Not in self.parameters: those are the variables learned from the
        # cost, and ComputationGraph.parameters must not include centres.

    def _initialize(self):
        self.centers_init.initialize(self.centers, self.rng)

    @application(inputs=["features", "labels"], outputs=["cost"])
    def apply(self, features, labels, application_call):
        """The centre loss of a batch, with the centres' update attached.

        Parameters
        ----------
        features : :class:`~tensor.TensorVariable`
            ``(batch, feature_dim)``.
        labels : :class:`~tensor.TensorVariable`
            ``(batch,)`` integer classes in ``[0, num_classes)``.

        Returns
        -------
        cost : :class:`~tensor.TensorVariable`
            A scalar.

        """
        if features.ndim != 2 or labels.ndim != 1:
            raise ValueError(
                f"brick {self.name!r}: features must be a matrix and labels a "
                f"vector, got {features.ndim} and {labels.ndim} dimensions"
            )
        if not labels.dtype.startswith(("int", "uint")):
            raise TypeError(
                f"brick {self.name!r}: labels must be integers, got {labels.dtype}"
            )
        floatx = symbolic.config.floatX
        centers = self.centers
        difference = features - centers[labels]
        cost = 0.5 * tensor.sqr(difference).sum(axis=1).mean()

        one_hot = tensor.cast(
            tensor.eq(labels[:, None], tensor.arange(self.num_classes)[None, :]),
            floatx,
        )
        counts = one_hot.sum(axis=0)
        batch_means = (
            tensor.dot(one_hot.T, features) / tensor.maximum(counts, 1)[:, None]
        )
        alpha = numpy.asarray(self.alpha, dtype=floatx)
        moved = alpha * batch_means + (1 - alpha) * centers
        seen = tensor.gt(counts, 0)[:, None]
        application_call.updates[centers] = tensor.switch(seen, moved, centers)
        return cost

    def get_dim(self, name):
        if name == "features":
            return self.feature_dim
        if name == "labels":
            return 0
        return super().get_dim(name)
