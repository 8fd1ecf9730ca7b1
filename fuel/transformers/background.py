"""Read a stream in a background process while the main process trains."""

import logging
import multiprocessing

from fuel.transformers.base import Transformer, copy_labels

logger = logging.getLogger(__name__)


class BackgroundProcess:
    """The loop run in the background: read epoch after epoch into a queue.

    Parameters
    ----------
    data_stream : AbstractDataStream
        The stream to read.
    max_batches : int
        The most items the queue holds before the loop waits.

    """

    def __init__(self, data_stream, max_batches, context=None):
        self.data_stream = data_stream
        context = context or multiprocessing.get_context("fork")
        self.batches = context.Queue(max_batches)
        self.run_background = True

    def main(self):
        """Put every item of every epoch, each epoch followed by StopIteration."""
        while True:
            for item in self.data_stream.get_epoch_iterator():
                self.batches.put(item)
            self.batches.put(StopIteration)

    def get_next_data(self):
        """The next item, or the StopIteration class at the end of an epoch."""
        return self.batches.get()


class MultiProcessing(Transformer):
    """Read the wrapped stream in another process, ahead of time.

    The background process starts at construction and reads epoch after
    epoch, keeping at most `max_store` items waiting, so the work of the
    wrapped stream (decoding, augmenting) overlaps with the main process's.

    Parameters
    ----------
    data_stream : AbstractDataStream
        The stream to read in the background.
    max_store : int, optional
        The most items waiting in the queue.

    Notes
    -----
    The process is forked, so the stream needs no pickling, but the
    transformer itself does not pickle (it holds a process). The epochs run
    back to back in the background: a new epoch iterator continues where the
    background process is.

    """

    def __init__(self, data_stream, max_store=100, **kwargs):
        copy_labels(data_stream, kwargs)
        super().__init__(data_stream, data_stream.produces_examples, **kwargs)
        context = multiprocessing.get_context("fork")
        self.background = BackgroundProcess(data_stream, max_store, context)
        self.proc = context.Process(target=self.background.main, daemon=True)
        self.proc.start()

    def get_data(self, request=None):
        if request is not None:
            raise ValueError(f"MultiProcessing takes no requests, got {request!r}")
        data = self.background.get_next_data()
        if data is StopIteration:
            raise StopIteration
        return data

    def get_epoch_iterator(self, **kwargs):
        # The child is read in the background process; only ask it for an
        # epoch there. Build our own iterator without touching the child.
        return super(Transformer, self).get_epoch_iterator(**kwargs)

    def __getstate__(self):
        raise TypeError(
            "MultiProcessing holds a running process and cannot be pickled; "
            "pickle the stream it wraps instead"
        )
