"""A checkpoint of a recurrent model (Scan ops in its graph) loads in a new process."""

import subprocess
import sys

import numpy

import symbolic
from blocks.bricks import Tanh
from blocks.bricks.recurrent import SimpleRecurrent
from blocks.initialization import Constant
from blocks.main_loop import MainLoop
from blocks.model import Model
from blocks.serialization import dump
from symbolic import tensor

LOAD_AND_RUN = """
import sys
import numpy
import symbolic
from blocks.serialization import load
from symbolic.scan.op import Scan

with open(sys.argv[1], "rb") as source:
    main_loop = load(source)
model = main_loop.model
scans = [v for v in model.variables if v.owner and isinstance(v.owner.op, Scan)]
(x,) = model.inputs
data = numpy.load(sys.argv[2])
value = symbolic.function([x], model.outputs[0])(data)
print(len(scans) > 0, repr(float(value)))
"""


def test_recurrent_checkpoint_loads_and_runs_in_a_fresh_process(tmp_path):
    x = tensor.tensor3("x")
    rnn = SimpleRecurrent(dim=3, activation=Tanh(), weights_init=Constant(0.1))
    rnn.initialize()
    cost = rnn.apply(x).sum()
    checkpoint = tmp_path / "checkpoint.tar"
    with open(checkpoint, "wb") as destination:
        dump(MainLoop(None, None, model=Model(cost)), destination)
    data = numpy.random.RandomState(0).uniform(size=(4, 2, 3))
    data = data.astype(symbolic.config.floatX)
    numpy.save(tmp_path / "data.npy", data)
    expected = float(symbolic.function([x], cost)(data))

    result = subprocess.run(
        [
            sys.executable,
            "-c",
            LOAD_AND_RUN,
            str(checkpoint),
            str(tmp_path / "data.npy"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    found_scan, value = result.stdout.split()
    assert found_scan == "True"
    numpy.testing.assert_allclose(float(value), expected, rtol=1e-5)
