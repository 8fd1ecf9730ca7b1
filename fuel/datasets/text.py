"""Text files read line by line and turned into lists of word or character ids."""

import gzip
import logging
import os

from fuel.datasets.base import Dataset

logger = logging.getLogger(__name__)


def _open_text(path, encoding):
    """Open a text file for reading, decompressing it when it ends in ``.gz``."""
    if path.endswith(".gz"):
        return gzip.open(path, "rt", encoding=encoding)
    return open(path, encoding=encoding)


class LineReader:
    """A picklable iterator over the lines of several text files in turn.

    It remembers the file it is in and its position there, and reopens the
    file when unpickled, so a pickled epoch continues with the next line.

    Parameters
    ----------
    files : list of str
        The files, read one after the other.
    encoding : str, optional
        Their encoding; UTF-8 by default.

    """

    def __init__(self, files, encoding=None):
        self.files = list(files)
        self.encoding = encoding or "utf-8"
        self.file_index = 0
        self.position = 0
        self._handle = None

    def __iter__(self):
        return self

    def __next__(self):
        while self.file_index < len(self.files):
            if self._handle is None:
                self._handle = _open_text(self.files[self.file_index], self.encoding)
                self._handle.seek(self.position)
            line = self._handle.readline()
            if line:
                self.position = self._handle.tell()
                return line
            self.close()
            self.file_index += 1
            self.position = 0
        raise StopIteration

    def close(self):
        """Close the file being read, if any."""
        if self._handle is not None:
            self._handle.close()
            self._handle = None

    def __getstate__(self):
        state = self.__dict__.copy()
        state["_handle"] = None
        return state


class TextFile(Dataset):
    """Sentences from text files, one per line, as lists of dictionary ids.

    Each line becomes one example: the id of `bos_token`, the ids of its
    words (or characters), and the id of `eos_token`. The dataset is read in
    order, so its streams take no iteration scheme.

    Parameters
    ----------
    files : list of str
        The text files, read one after the other; names ending in ``.gz``
        are gzipped files.
    dictionary : dict
        Maps words (or characters) to integer ids.
    bos_token : str or None, optional
        Put before every sentence; ``'<S>'`` by default, None for nothing.
    eos_token : str or None, optional
        Put after every sentence; ``'</S>'`` by default, None for nothing.
    unk_token : str or None, optional
        Stands for words missing from the dictionary; ``'<UNK>'`` by default.
        With None, a missing word raises a KeyError.
    level : {'word', 'character'}, optional
        Split lines into words (on whitespace) or characters.
    preprocess : callable, optional
        Applied to each line before it is split, for instance ``str.lower``.
    encoding : str, optional
        The files' encoding; UTF-8 by default.

    Examples
    --------
    >>> import os, tempfile
    >>> from fuel.streams import DataStream
    >>> path = os.path.join(tempfile.mkdtemp(), "sentences.txt")
    >>> with open(path, "w") as f:
    ...     _ = f.write("the cat sat\\n")
    >>> words = {"<S>": 0, "</S>": 1, "<UNK>": 2, "the": 3, "cat": 4}
    >>> stream = DataStream(TextFile([path], words))
    >>> next(stream.get_epoch_iterator())
    ([0, 3, 4, 2, 1],)

    """

    provides_sources = ("features",)
    example_iteration_scheme = None

    def __init__(
        self,
        files,
        dictionary,
        bos_token="<S>",
        eos_token="</S>",
        unk_token="<UNK>",
        level="word",
        preprocess=None,
        encoding=None,
    ):
        if isinstance(files, str):
            raise TypeError(
                f"TextFile expects a list of file names, such as [{files!r}], "
                f"not a string"
            )
        self.files = list(files)
        for path in self.files:
            if not os.path.isfile(path):
                raise FileNotFoundError(f"TextFile cannot find the text file {path}")
        for role, token in (("bos", bos_token), ("eos", eos_token), ("unk", unk_token)):
            if token is not None and token not in dictionary:
                raise ValueError(f"the {role}_token {token!r} is not in the dictionary")
        if level not in ("word", "character"):
            raise ValueError(f"level must be 'word' or 'character', got {level!r}")
        self.dictionary = dictionary
        self.bos_token = bos_token
        self.eos_token = eos_token
        self.unk_token = unk_token
        self.level = level
        self.preprocess = preprocess
        self.encoding = encoding
        super().__init__()

    def open(self):
        return LineReader(self.files, self.encoding)

    def close(self, state):
        if state is not None:
            state.close()

    def _id(self, symbol):
        if symbol in self.dictionary:
            return self.dictionary[symbol]
        if self.unk_token is None:
            raise KeyError(
                f"{symbol!r} is not in the dictionary and TextFile has no unk_token"
            )
        return self.dictionary[self.unk_token]

    def get_data(self, state=None, request=None):
        if request is not None:
            raise ValueError(
                f"TextFile is read in order and cannot answer the request "
                f"{request!r}; use it without an iteration scheme"
            )
        if state is None:
            raise ValueError("TextFile.get_data needs the state from open()")
        sentence = next(state)
        if self.preprocess is not None:
            sentence = self.preprocess(sentence)
        symbols = sentence.split() if self.level == "word" else sentence.strip()
        data = [self.dictionary[self.bos_token]] if self.bos_token is not None else []
        data.extend(self._id(symbol) for symbol in symbols)
        if self.eos_token is not None:
            data.append(self.dictionary[self.eos_token])
        return (data,)
