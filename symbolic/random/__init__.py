"""Random streams: MRG31k3p (``mrg``) and numpy RandomState-backed (``numpy_streams``).

The Theano paths are ``symbolic.sandbox.rng_mrg`` and
``symbolic.tensor.shared_randomstreams`` / ``symbolic.tensor.raw_random``.
Importing the package adds the random-stream rewrites to the pipeline.
"""

from symbolic.random import rewriting
