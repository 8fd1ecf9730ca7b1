"""Merge the built-in downloaders or converters with the configured extras."""

import importlib


def gather(builtin, extra_modules, attribute):
    """Return ``{name: fill_subparser}`` of the built-ins and the extras.

    Parameters
    ----------
    builtin : sequence of (str, callable)
        The built-in pairs.
    extra_modules : list of str
        Modules each defining `attribute`, a sequence of such pairs.
    attribute : str
        ``'all_downloaders'`` or ``'all_converters'``.

    Raises
    ------
    ValueError
        If an extra module reuses a built-in name.

    """
    plugins = dict(builtin)
    for module_name in extra_modules:
        module = importlib.import_module(module_name)
        for name, fill_subparser in getattr(module, attribute):
            if name in plugins and name in dict(builtin):
                raise ValueError(
                    f"{module_name}.{attribute} defines {name!r}, which is "
                    f"already a built-in name"
                )
            plugins[name] = fill_subparser
    return plugins
