"""Small main loops for the tests of the training half of Blocks."""

import os

from blocks.algorithms import TrainingAlgorithm
from blocks.extensions import SimpleExtension, TrainingExtension
from blocks.main_loop import MainLoop
from fuel.datasets import IterableDataset
from fuel.streams import DataStream


class CountingAlgorithm(TrainingAlgorithm):
    """Records the batches it processes; can fail on a given batch."""

    def __init__(self, fail_on=None):
        self.batches = []
        self.initialized = 0
        self.fail_on = fail_on

    def initialize(self, **kwargs):
        self.initialized += 1

    def process_batch(self, batch):
        if self.fail_on is not None and batch["data"] == self.fail_on:
            raise ZeroDivisionError("failing on purpose")
        self.batches.append(batch["data"])


class Recorder(TrainingExtension):
    """Records every callback with the epoch and iteration counts."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.calls = []

    def dispatch(self, callback_name, *args):
        status = self.main_loop.status
        self.calls.append(
            (callback_name, status["epochs_done"], status["iterations_done"])
        )
        super().dispatch(callback_name, *args)


class SendSignal(SimpleExtension):
    """Sends a signal to this process when triggered."""

    def __init__(self, signal_number, **kwargs):
        super().__init__(**kwargs)
        self.signal_number = signal_number

    def do(self, which_callback, *args):
        os.kill(os.getpid(), self.signal_number)


def make_stream(n=3):
    """A stream of one epoch of `n` batches, the numbers 0 to n - 1."""
    return DataStream(IterableDataset({"data": list(range(n))}))


def make_main_loop(extensions=(), n=3, **kwargs):
    """A main loop with a :class:`CountingAlgorithm` on `make_stream(n)`."""
    return MainLoop(
        CountingAlgorithm(**kwargs), make_stream(n), extensions=list(extensions)
    )


class WriteRecord(SimpleExtension):
    """Writes ``values[epochs_done - 1]`` as the record `name` after epochs."""

    def __init__(self, name, values, **kwargs):
        kwargs.setdefault("after_epoch", True)
        super().__init__(**kwargs)
        self.record = name
        self.values = values

    def do(self, which_callback, *args):
        epochs_done = self.main_loop.status["epochs_done"]
        self.main_loop.log.current_row[self.record] = self.values[epochs_done - 1]
