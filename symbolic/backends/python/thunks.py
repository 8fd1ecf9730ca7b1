"""The reference backend: each node runs its Op's ``perform``."""


def perform_thunk(node, storage_map):
    """Return a callable that runs ``node.op.perform`` on the node's storage cells."""
    input_cells = [storage_map[v] for v in node.inputs]
    output_cells = [storage_map[v] for v in node.outputs]
    perform = node.op.perform

    def thunk():
        perform(node, [cell[0] for cell in input_cells], output_cells)

    thunk.input_cells = input_cells
    thunk.output_cells = output_cells
    thunk.node = node
    return thunk
