"""``blocks-continue``: resume training from a checkpoint.

Usage: ``blocks-continue CHECKPOINT``. The checkpoint is a main loop saved
by :class:`.Checkpoint`; it is unpickled, which can run arbitrary code, so
only resume checkpoints you trust.

Unpickling imports the modules that define the objects in the main loop.
The current folder is put first on the module search path, as ``python -m``
does, so that a training script's own modules are found when the command is
run from the script's folder.

"""

import argparse
import logging
import os
import sys

from blocks.serialization import continue_training


def main(argv=None):
    """Run ``blocks-continue`` with the given arguments.

    Parameters
    ----------
    argv : list of str, optional
        The arguments; ``sys.argv[1:]`` by default.

    """
    parser = argparse.ArgumentParser(
        prog="blocks-continue",
        description="Resume training from a checkpoint saved by Blocks' "
        "Checkpoint extension. The checkpoint is unpickled: only use files "
        "you trust.",
    )
    parser.add_argument("checkpoint", help="the checkpoint file (a .tar dump)")
    args = parser.parse_args(argv)
    if not os.path.isfile(args.checkpoint):
        parser.error(f"no checkpoint file at {args.checkpoint}")
    if "" not in sys.path and os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    logging.basicConfig(level=logging.INFO)
    continue_training(args.checkpoint)


if __name__ == "__main__":
    main()
