"""``blocks-continue``: resume training from a checkpoint.

Usage: ``blocks-continue CHECKPOINT [--script SCRIPT] [--module-folder DIR]
[--finish-after-epochs N] [--finish-after-batches N]``.
The checkpoint is a main loop saved by :class:`.Checkpoint`; it is
unpickled, which can run arbitrary code, so only resume checkpoints you
trust.

Unpickling imports the modules that define the objects in the main loop.
Nothing is put in front of the module search path: a module that cannot be
imported is looked for in the script's folder, the ``--module-folder``
folders, then the current folder, and the folder that has it is appended
to the end of ``sys.path``. So a ``sqlite3.py`` in the current folder never
hides the standard library's.

Classes and functions defined in the training script itself (its
``__main__``) are found only with ``--script``, which runs the script's top
level (not its ``if __name__ == '__main__':`` block) before unpickling.

A checkpoint of a run that finished is not trained further, unless
``--finish-after-epochs`` or ``--finish-after-batches`` allow more.

"""

import argparse
import logging
import os

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
    parser.add_argument(
        "--script",
        help="the training script, when the checkpoint holds classes or "
        "functions defined in it; its top level runs before unpickling",
    )
    parser.add_argument(
        "--module-folder",
        action="append",
        default=[],
        metavar="DIR",
        help="a folder to look in for modules the checkpoint needs (may be "
        "repeated); the current folder is looked in last",
    )
    for unit in ("epochs", "batches"):
        parser.add_argument(
            f"--finish-after-{unit}",
            type=int,
            metavar="N",
            help=f"train until N {unit} are done, replacing the FinishAfter "
            f"conditions of the checkpoint (to train a finished run further)",
        )
    args = parser.parse_args(argv)
    if not os.path.isfile(args.checkpoint):
        parser.error(f"no checkpoint file at {args.checkpoint}")
    if args.script is not None and not os.path.isfile(args.script):
        parser.error(f"no training script at {args.script}")
    logging.basicConfig(level=logging.INFO)
    finish_after = {}
    if args.finish_after_epochs is not None:
        finish_after["after_n_epochs"] = args.finish_after_epochs
    if args.finish_after_batches is not None:
        finish_after["after_n_batches"] = args.finish_after_batches
    continue_training(
        args.checkpoint,
        script=args.script,
        module_folders=[*args.module_folder, os.getcwd()],
        finish_after=finish_after,
    )


if __name__ == "__main__":
    main()
