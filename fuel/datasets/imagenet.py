"""The ILSVRC 2010 and 2012 (ImageNet) images, stored as encoded JPEG bytes.

These classes are not re-exported from :mod:`fuel.datasets`, as in Fuel.

"""

from fuel.datasets._builtin import DataPathH5PYDataset


def _decoding_transformers():
    try:
        from fuel.transformers.defaults import rgb_images_from_encoded_bytes
    except ImportError:
        raise ImportError(
            "decoding the ILSVRC images needs "
            "fuel.transformers.defaults.rgb_images_from_encoded_bytes and "
            "Pillow (the 'image' extra)"
        ) from None
    return rgb_images_from_encoded_bytes(("encoded_images",))


class _ILSVRC(DataPathH5PYDataset):
    default_load_in_memory = False

    @property
    def default_transformers(self):
        """Decode the JPEG bytes into RGB images ``(channel, height, width)``."""
        return _decoding_transformers()


class ILSVRC2010(_ILSVRC):
    """The ILSVRC 2010 images, read from ``ilsvrc2010.hdf5``.

    Splits ``train`` (about 1.26 million), ``valid`` (50,000) and ``test``
    (150,000). Sources ``encoded_images`` (variable-length uint8, the JPEG
    bytes), ``targets`` (int16 ``(n, 1)``, classes 0 to 999) and
    ``filenames`` (``S32`` ``(n, 1)``). The default transformers decode the
    images.

    Parameters
    ----------
    which_sets : tuple of str
        Among ``'train'``, ``'valid'`` and ``'test'``.
    **kwargs
        See :class:`.H5PYDataset`; read from disk by default.

    """

    filename = "ilsvrc2010.hdf5"


class ILSVRC2012(_ILSVRC):
    """The ILSVRC 2012 images, read from ``ilsvrc2012.hdf5``.

    As :class:`ILSVRC2010`, with splits ``train`` (1,281,167), ``valid``
    (50,000) and ``test`` (100,000); ``targets`` are not available for
    ``test``.

    """

    filename = "ilsvrc2012.hdf5"
