"""Predicates that decide when an extension runs."""


class OnLogRecord:
    """Holds when the current log row has a given record, and it is true.

    Use it with :meth:`.SimpleExtension.add_condition`, for instance to save
    a checkpoint whenever a new best model is found.

    Parameters
    ----------
    record_name : str
        The record to look for.

    """

    def __init__(self, record_name):
        self.record_name = record_name

    def __call__(self, log):
        return bool(log.current_row.get(self.record_name, False))
