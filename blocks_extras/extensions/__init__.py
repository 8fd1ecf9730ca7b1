"""Extensions of Blocks extras (see :mod:`blocks_extras.extensions.plot`)."""
