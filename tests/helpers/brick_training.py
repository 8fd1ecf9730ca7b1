"""A short MainLoop run of a brick's cost, for the tests of single bricks."""

import numpy

import symbolic
from blocks.algorithms import GradientDescent, Scale
from blocks.extensions import FinishAfter
from blocks.graph import ComputationGraph
from blocks.main_loop import MainLoop
from fuel.datasets import IterableDataset
from fuel.streams import DataStream


def train_and_report(cost, data, learning_rate=0.1, epochs=20, cost_of=None):
    """Train `cost` with a MainLoop; return its value before and after.

    Parameters
    ----------
    cost : TensorVariable
        The scalar cost; its graph's parameters are trained and its graph's
        updates (a centre loss's, a dropout brick's random state) applied.
    data : dict
        Maps the names of the cost's inputs to arrays; one batch per epoch.
    cost_of : TensorVariable, optional
        The cost measured before and after; `cost` by default (give the
        inference graph when `cost` is a training graph).

    """
    graph = ComputationGraph(cost)
    inputs = {var.name: var for var in graph.inputs}
    measured = cost if cost_of is None else cost_of
    measure_inputs = ComputationGraph(measured).inputs
    measure = symbolic.function(measure_inputs, measured)

    def value():
        return float(measure(*[data[var.name] for var in measure_inputs]))

    before = value()
    algorithm = GradientDescent(
        cost=cost, parameters=graph.parameters, step_rule=Scale(learning_rate)
    )
    algorithm.add_updates(graph.updates)
    names = tuple(sorted(inputs))
    batch = tuple(data[name] for name in names)
    stream = DataStream(
        IterableDataset(
            {name: [value_] for name, value_ in zip(names, batch, strict=True)}
        )
    )
    main_loop = MainLoop(
        algorithm, stream, extensions=[FinishAfter(after_n_epochs=epochs)]
    )
    main_loop.run()
    after = value()
    assert numpy.isfinite(after)
    return before, after
