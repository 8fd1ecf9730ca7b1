"""The annotated computation graph and transformations of it.

:class:`ComputationGraph` lists every variable of a graph in topological
order together with what bricks attached to them (auxiliary variables,
updates); :func:`apply_dropout`, :func:`apply_noise` and
:func:`collect_parameters` build modified copies of a graph.

"""

import itertools
import logging
import warnings
from collections import OrderedDict

import numpy

import symbolic
from blocks.config import config
from blocks.graph.annotations import Annotation, add_annotation
from blocks.graph.bn import (
    apply_batch_normalization,
    batch_normalization,
    get_batch_normalization_updates,
)
from blocks.roles import (
    AUXILIARY,
    COLLECTED,
    COLLECTOR,
    DROPOUT,
    PARAMETER,
    add_role,
    has_roles,
)
from blocks.utils import dict_union
from blocks.utils.theano_utils import (
    is_graph_input,
    is_shared_variable,
    shared_floatx_zeros,
    shared_like,
)
from symbolic.gof import graph

logger = logging.getLogger(__name__)

__all__ = [
    "Annotation",
    "ComputationGraph",
    "add_annotation",
    "apply_batch_normalization",
    "apply_dropout",
    "apply_noise",
    "batch_normalization",
    "collect_parameters",
    "get_batch_normalization_updates",
]


def _scan_op_class():
    """The Scan op class, or None while the engine has no scan."""
    try:
        from symbolic.scan_module.scan_op import Scan
    except ImportError:
        return None
    return Scan


def _random_streams(seed):
    from symbolic.sandbox.rng_mrg import MRG_RandomStreams

    return MRG_RandomStreams(seed)


class ComputationGraph:
    r"""Encapsulates a managed symbolic computation graph.

    Besides the variables needed to compute the outputs, it holds the
    auxiliary variables and updates that were attached to them through
    annotations (see :mod:`blocks.graph.annotations`).

    Parameters
    ----------
    outputs : (list of) :class:`~tensor.TensorVariable`
        The outputs of the graph.

    Attributes
    ----------
    outputs : list of :class:`~tensor.TensorVariable`
        The outputs of the graph, as given.
    variables : list of :class:`~tensor.TensorVariable`
        Every variable of the graph, auxiliary ones included: the inputs of
        the topologically sorted apply nodes, then the outputs, each
        followed by the auxiliary variables of its annotations.
    updates : OrderedDict
        The updates found in the annotations.
    scans : list of ``Scan`` ops
        The distinct Scan ops of the graph.

    """

    def __init__(self, outputs):
        if isinstance(outputs, symbolic.Variable):
            outputs = [outputs]
        self.outputs = list(outputs)
        self._get_variables()
        self._has_inputs = {}

    def __iter__(self):
        return iter(self.variables)

    @property
    def inputs(self):
        """The inputs of the graph, without constants and shared variables."""
        return [var for var in self.variables if is_graph_input(var)]

    @property
    def shared_variables(self):
        """The shared variables of the graph (random states excluded)."""
        return [var for var in self.variables if is_shared_variable(var)]

    @property
    def parameters(self):
        """The shared variables that have the PARAMETER role."""
        return [var for var in self.shared_variables if has_roles(var, [PARAMETER])]

    @property
    def auxiliary_variables(self):
        """The variables that have the AUXILIARY role."""
        return [var for var in self.variables if has_roles(var, [AUXILIARY])]

    @property
    def intermediary_variables(self):
        """The variables that are neither inputs nor outputs."""
        inputs = set(self.inputs)
        outputs = set(self.outputs)
        return [
            var for var in self.variables if var not in inputs and var not in outputs
        ]

    @property
    def scan_variables(self):
        """The variables of the inner graphs of the Scan ops."""
        return list(
            itertools.chain.from_iterable(
                scan_graph.variables for scan_graph in self._scan_graphs
            )
        )

    def _get_variables(self):
        """Collect the variables, updates, auxiliary variables and scans."""
        updates = OrderedDict()
        shared_outputs = [o for o in self.outputs if is_shared_variable(o)]
        usual_outputs = [o for o in self.outputs if not is_shared_variable(o)]
        variables = shared_outputs
        self.scans = []
        self._scan_graphs = []
        if usual_outputs:
            inputs = graph.inputs(self.outputs)
            sorted_apply_nodes = graph.io_toposort(inputs, usual_outputs)
            scan_class = _scan_op_class()
            if scan_class is not None:
                seen_ops = set()
                for node in sorted_apply_nodes:
                    if isinstance(node.op, scan_class) and id(node.op) not in seen_ops:
                        seen_ops.add(id(node.op))
                        self.scans.append(node.op)
                self._scan_graphs = [
                    ComputationGraph(scan.outputs) for scan in self.scans
                ]

            seen = set()
            main_vars = []
            for node in sorted_apply_nodes:
                for var in node.inputs:
                    if var not in seen:
                        seen.add(var)
                        main_vars.append(var)
            main_vars += [var for var in self.outputs if var not in seen]

            # Auxiliary variables follow the variable whose annotation holds
            # them; a variable already in the graph is not added twice.
            seen_annotations = set()
            seen_auxiliaries = set(main_vars)
            variables = []
            for var in main_vars:
                variables.append(var)
                for annotation in getattr(var.tag, "annotations", []):
                    if id(annotation) in seen_annotations:
                        continue
                    seen_annotations.add(id(annotation))
                    for aux in annotation.auxiliary_variables:
                        if aux not in seen_auxiliaries:
                            seen_auxiliaries.add(aux)
                            variables.append(aux)
                    updates = dict_union(updates, annotation.updates)
        self.variables = variables
        self.updates = updates

    def dict_of_inputs(self):
        """Return a mapping from an input name to the input."""
        return {var.name: var for var in self.inputs}

    def replace(self, replacements):
        """Replace certain variables in the computation graph.

        Replacements are made one at a time, in the topological order of
        the variables replaced; each later replacement value sees the
        earlier replacements.

        Parameters
        ----------
        replacements : dict or list of pairs
            Maps the variables to replace to their substitutes.

        Returns
        -------
        ComputationGraph
            A new graph; this one is left unchanged.

        Examples
        --------
        >>> import symbolic
        >>> from symbolic import tensor, function
        >>> x = tensor.scalar('x')
        >>> y = x + 2
        >>> z = y + 3
        >>> a = z + 5

        Let's suppose we have dependent replacements like

        >>> replacements = {y: x * 2, z: y * 3}
        >>> cg = ComputationGraph([a])
        >>> symbolic.pprint(a)  # doctest: +NORMALIZE_WHITESPACE
        '(((x + TensorConstant{2}) + TensorConstant{3}) +
        TensorConstant{5})'
        >>> cg_new = cg.replace(replacements)
        >>> symbolic.pprint(
        ...     cg_new.outputs[0])  # doctest: +NORMALIZE_WHITESPACE
        '(((x * TensorConstant{2}) * TensorConstant{3}) +
        TensorConstant{5})'

        First two sums turned into multiplications

        >>> float(function(cg_new.inputs, cg_new.outputs)(3.)[0])
        23.0

        """
        replacements = OrderedDict(
            replacements.items() if hasattr(replacements, "items") else replacements
        )
        auxiliaries = set(self.auxiliary_variables)
        in_graph = set(self.variables)
        for var in replacements:
            if var not in in_graph:
                warnings.warn(
                    f"variable {var} is not a part of the computation graph; its "
                    f"replacement is ignored",
                    stacklevel=2,
                )
            elif var in auxiliaries:
                warnings.warn(
                    f"variable {var} is auxiliary; replacing it does not change "
                    f"the outputs of the computation graph",
                    stacklevel=2,
                )
        keys = [var for var in self.variables if var in replacements]
        # A variable can be listed twice (e.g. as an output and an input).
        keys = list(OrderedDict.fromkeys(keys))
        values = [replacements[var] for var in keys]
        outputs = self.outputs
        while keys:
            replace_what, replace_by = keys[0], values[0]
            # Later keys and values are cloned along, so they see the change.
            cloned = symbolic.clone(
                outputs + keys[1:] + values[1:], replace={replace_what: replace_by}
            )
            n_outputs, n_keys = len(outputs), len(keys) - 1
            outputs = cloned[:n_outputs]
            keys = cloned[n_outputs : n_outputs + n_keys]
            values = cloned[n_outputs + n_keys :]
        return ComputationGraph(outputs)

    def get_theano_function(self, additional_updates=None, **kwargs):
        r"""Compile a function from the inputs to the outputs of the graph.

        The updates of the graph are applied by the function.

        Parameters
        ----------
        additional_updates : list of pairs or OrderedDict, optional
            More updates.
        \*\*kwargs
            Passed on to :func:`symbolic.function` (e.g. ``mode`` or
            ``profile``).

        """
        updates = self.updates
        if additional_updates:
            updates = dict_union(updates, OrderedDict(additional_updates))
        return symbolic.function(self.inputs, self.outputs, updates=updates, **kwargs)

    def get_snapshot(self, data):
        """Evaluate every role-carrying, non-shared variable on given data.

        Parameters
        ----------
        data : dict
            Maps the name of every input to its value.

        Returns
        -------
        OrderedDict
            Maps each variable to its value.

        """
        role_variables = [
            var
            for var in self.variables
            if hasattr(var.tag, "roles") and not is_shared_variable(var)
        ]
        holders = [shared_like(var) for var in role_variables]
        function = self.get_theano_function(list(zip(holders, role_variables)))
        missing = [input_.name for input_ in self.inputs if input_.name not in data]
        if missing:
            raise ValueError(f"get_snapshot: no data for the inputs {missing}")
        function(*(data[input_.name] for input_ in self.inputs))
        return OrderedDict(
            (var, holder.get_value(borrow=True))
            for var, holder in zip(role_variables, holders)
        )

    def has_inputs(self, variable):
        """Whether a variable depends on the inputs of the graph.

        Returns
        -------
        bool

        """
        if variable not in self._has_inputs:
            self._has_inputs[variable] = False
            if is_graph_input(variable):
                self._has_inputs[variable] = True
            elif getattr(variable, "owner", None):
                for dependency in variable.owner.inputs:
                    if self.has_inputs(dependency):
                        self._has_inputs[variable] = True
        return self._has_inputs[variable]


def apply_noise(computation_graph, variables, level, seed=None):
    """Add Gaussian noise to certain variables of a computation graph.

    Parameters
    ----------
    computation_graph : ComputationGraph
        The computation graph.
    variables : list of :class:`~tensor.TensorVariable`
        The variables to add noise to.
    level : float
        The standard deviation of the noise.
    seed : int, optional
        The seed of the ``MRG_RandomStreams``; ``blocks.config.default_seed``
        by default.

    Returns
    -------
    ComputationGraph

    """
    rng = _random_streams(seed if seed else config.default_seed)
    replace = OrderedDict(
        (var, var + rng.normal(var.shape, std=level)) for var in variables
    )
    return computation_graph.replace(replace)


def apply_dropout(
    computation_graph, variables, drop_prob, rng=None, seed=None, custom_divisor=None
):
    """Apply dropout to specified variables in a graph.

    Parameters
    ----------
    computation_graph : ComputationGraph
        The computation graph.
    variables : list of :class:`~tensor.TensorVariable`
        The variables to drop out.
    drop_prob : float
        The probability of dropping out. For different probabilities on
        different layers, call this function several times.
    rng : ``MRG_RandomStreams``, optional
        The random streams.
    seed : int, optional
        The seed of the random streams when `rng` is not given;
        ``blocks.config.default_seed`` by default.
    custom_divisor : float, optional
        Divides the kept values; ``1 - drop_prob`` by default, which is
        equivalent to scaling by ``1 - drop_prob`` at test time as in
        [DROPOUT]_.

    Returns
    -------
    ComputationGraph
        A new graph in which each given variable is replaced by its
        dropped-out version, which has the role
        :data:`~blocks.roles.DROPOUT` and ``tag.replacement_of`` set to the
        original. Train on (or monitor) the outputs of this graph.

    References
    ----------
    .. [DROPOUT] Hinton et al. *Improving neural networks by preventing
       co-adaptation of feature detectors*, arXiv:1207.0580.

    """
    if rng is None:
        rng = _random_streams(seed if seed else config.default_seed)
    divisor = 1 - drop_prob if custom_divisor is None else custom_divisor
    replacements = []
    for var in variables:
        mask = rng.binomial(var.shape, p=1 - drop_prob, dtype=symbolic.config.floatX)
        replacement = var * mask / divisor
        add_role(replacement, DROPOUT)
        replacement.tag.replacement_of = var
        replacements.append((var, replacement))
    return computation_graph.replace(replacements)


def collect_parameters(computation_graph, parameters):
    """Replace parameters with slices of a single shared vector.

    Useful, for instance, to compute the full Hessian of a graph.

    Parameters
    ----------
    computation_graph : ComputationGraph
        The graph in which to collect the parameters.
    parameters : list of shared variables
        The parameters whose values are collected.

    Returns
    -------
    ComputationGraph
        A new graph where the parameters are replaced by reshaped slices
        (role :data:`~blocks.roles.COLLECTED`, with ``replacement_of`` set
        to the parameter) of one shared vector named
        ``collected_parameters`` (role :data:`~blocks.roles.COLLECTOR`).

    Notes
    -----
    Training with the collected parameters is much slower, because of the
    many ``set_subtensor`` calls its updates need.

    """
    parameters = list(parameters)
    values = [parameter.get_value(borrow=True) for parameter in parameters]
    sizes = [value.size for value in values]
    collected = shared_floatx_zeros(sum(sizes), name="collected_parameters")
    if values:
        collected.set_value(
            numpy.concatenate([value.flatten() for value in values]).astype(
                collected.dtype
            )
        )
    add_role(collected, COLLECTOR)
    replacements = OrderedDict()
    start = 0
    for parameter, value in zip(parameters, values, strict=True):
        end = start + value.size
        replacement = collected[start:end].reshape(value.shape)
        replacement.replacement_of = parameter
        replacement.tag.replacement_of = parameter
        add_role(replacement, COLLECTED)
        replacements[parameter] = replacement
        start = end
    return computation_graph.replace(replacements)
