"""Numpy kernels behind the convolution ops: im2col views and batched GEMMs.

Every direction is written as a correlation of a zero-padded image with a
(possibly flipped) kernel::

    out[b, f, y, x] = sum_{c, i, j} pad(img)[b, g*Cg + c, y*s0 + i*d0, x*s1 + j*d1]
                                    * K[f, c, i, j]

where ``g = f // Fg`` is the group of filter ``f``.  The patches are read
through a strided view of the padded image (no Python loop over pixels) and
multiplied with one batched matrix product per chunk of the batch; chunks
keep the column buffer under :data:`COLUMN_BUDGET` bytes.

An unshared ("locally connected") convolution has a kernel per output
position, ``K[f, y, x, c, i, j]``: the same patches, multiplied position by
position.
"""

import numpy
from numpy.lib.stride_tricks import as_strided

#: Largest column buffer (bytes) built at once; bigger batches are chunked.
COLUMN_BUDGET = 64 * 2**20


def pad_image(img, pads):
    """Return ``img`` (B, C, H, W) zero-padded by ``((top, bottom), (left, right))``."""
    (pt, pb), (pl, pr) = pads
    if not (pt or pb or pl or pr):
        return img
    b, c, h, w = img.shape
    out = numpy.zeros((b, c, h + pt + pb, w + pl + pr), dtype=img.dtype)
    out[:, :, pt : pt + h, pl : pl + w] = img
    return out


def _patches(padded, kshape, out_shape, subsample, dilation):
    """Strided view (B, C, kh, kw, oh, ow) of the patches of a padded image."""
    b, c = padded.shape[:2]
    sb, sc, sh, sw = padded.strides
    return as_strided(
        padded,
        (b, c, kshape[0], kshape[1], out_shape[0], out_shape[1]),
        (
            sb,
            sc,
            sh * dilation[0],
            sw * dilation[1],
            sh * subsample[0],
            sw * subsample[1],
        ),
        writeable=False,
    )


def _batch_chunk(batch, per_item_bytes):
    """How many batch items fit in the column budget (at least one)."""
    return max(1, min(batch, COLUMN_BUDGET // max(per_item_bytes, 1)))


def _columns(patches, groups):
    """Copy patches (B, C, kh, kw, oh, ow) into columns (B, G, Cg*kh*kw, oh*ow)."""
    b, c, kh, kw, oh, ow = patches.shape
    return patches.reshape(b, groups, (c // groups) * kh * kw, oh * ow)


def _grouped_kernel(kern, groups, flip):
    """Return ``kern`` (F, Cg, kh, kw) as (G, Fg, Cg*kh*kw), flipped if asked."""
    if flip:
        kern = kern[:, :, ::-1, ::-1]
    f = kern.shape[0]
    return numpy.ascontiguousarray(kern).reshape(groups, f // groups, -1)


def conv_forward(img, kern, pads, subsample, dilation, groups, flip, out_shape):
    """Correlate ``img`` (B, C, H, W) with ``kern`` (F, C/G, kh, kw).

    ``out_shape`` is the spatial (oh, ow) of the result.  Returns an array
    (B, F, oh, ow) of ``img``'s dtype.
    """
    padded = pad_image(img, pads)
    b = img.shape[0]
    f, _, kh, kw = kern.shape
    oh, ow = out_shape
    out = numpy.empty((b, f, oh, ow), dtype=img.dtype)
    if b == 0 or f == 0 or oh == 0 or ow == 0:
        return out
    weights = _grouped_kernel(kern.astype(img.dtype, copy=False), groups, flip)
    patches = _patches(padded, (kh, kw), out_shape, subsample, dilation)
    step = _batch_chunk(b, patches[0].size * img.itemsize)
    view = out.reshape(b, groups, f // groups, oh * ow)
    for start in range(0, b, step):
        cols = _columns(patches[start : start + step], groups)
        numpy.matmul(weights, cols, out=view[start : start + step])
    return out


def conv_grad_weights(img, topgrad, kshape, pads, subsample, dilation, groups, flip):
    """Gradient of :func:`conv_forward` with respect to the kernel.

    ``kshape`` is the spatial (kh, kw) of the kernel.  Returns an array
    (F, C/G, kh, kw) of ``img``'s dtype.
    """
    padded = pad_image(img, pads)
    b, c = img.shape[:2]
    f, oh, ow = topgrad.shape[1:]
    kh, kw = kshape
    cg = c // groups
    acc = numpy.zeros((groups, f // groups, cg * kh * kw), dtype=img.dtype)
    if b and f and oh and ow and kh and kw:
        patches = _patches(padded, kshape, (oh, ow), subsample, dilation)
        top = topgrad.astype(img.dtype, copy=False).reshape(
            b, groups, f // groups, oh * ow
        )
        step = _batch_chunk(b, patches[0].size * img.itemsize)
        for start in range(0, b, step):
            cols = _columns(patches[start : start + step], groups)
            prods = numpy.matmul(top[start : start + step], cols.transpose(0, 1, 3, 2))
            acc += prods.sum(axis=0)
    grad = acc.reshape(f, cg, kh, kw)
    if flip:
        grad = grad[:, :, ::-1, ::-1]
    return numpy.ascontiguousarray(grad)


def conv_grad_inputs(kern, topgrad, imshape, pads, subsample, dilation, groups, flip):
    """Gradient of :func:`conv_forward` with respect to the image (transposed conv).

    ``imshape`` is the spatial (H, W) of the image.  Returns an array
    (B, C, H, W) of ``topgrad``'s dtype.
    """
    b, f, oh, ow = topgrad.shape
    _, cg, kh, kw = kern.shape
    c = cg * groups
    (pt, pb), (pl, pr) = pads
    h, w = imshape
    hp, wp = h + pt + pb, w + pl + pr
    dtype = topgrad.dtype
    padded = numpy.zeros((b, c, hp, wp), dtype=dtype)
    if b and f and oh and ow and kh and kw and c:
        weights = _grouped_kernel(kern.astype(dtype, copy=False), groups, flip)
        weights_t = weights.transpose(0, 2, 1)
        top = topgrad.reshape(b, groups, f // groups, oh * ow)
        step = _batch_chunk(b, c * kh * kw * oh * ow * topgrad.itemsize)
        for start in range(0, b, step):
            stop = min(b, start + step)
            cols = numpy.matmul(weights_t, top[start:stop])
            cols = cols.reshape(stop - start, c, kh, kw, oh, ow)
            _scatter_add(padded[start:stop], cols, subsample, dilation)
    return numpy.ascontiguousarray(padded[:, :, pt : pt + h, pl : pl + w])


def _scatter_add(target, cols, subsample, dilation):
    """Add patches ``cols`` (B, C, kh, kw, oh, ow) back into the padded images
    ``target`` (B, C, Hp, Wp) at the places :func:`_patches` read them from."""
    kh, kw, oh, ow = cols.shape[2:]
    s0, s1 = subsample
    d0, d1 = dilation
    for i in range(kh):
        rows = slice(i * d0, i * d0 + s0 * (oh - 1) + 1, s0)
        for j in range(kw):
            columns = slice(j * d1, j * d1 + s1 * (ow - 1) + 1, s1)
            target[:, :, rows, columns] += cols[:, :, i, j]


# Unshared (locally connected) convolution -------------------------------------


def _unshared_kernel(kern, groups, flip):
    """The kernel (F, oh, ow, Cg, kh, kw) as (G, Fg, oh*ow, Cg*kh*kw)."""
    # A true convolution (``flip``) reverses the taps.
    if flip:
        kern = kern[..., ::-1, ::-1]
    f, oh, ow = kern.shape[:3]
    return numpy.ascontiguousarray(kern).reshape(groups, f // groups, oh * ow, -1)


def unshared_forward(img, kern, pads, subsample, dilation, groups, flip):
    """Correlate ``img`` (B, C, H, W) with a kernel per output position.

    ``kern`` is (F, oh, ow, C/G, kh, kw); returns (B, F, oh, ow) of
    ``img``'s dtype.
    """
    padded = pad_image(img, pads)
    b = img.shape[0]
    f, oh, ow, _, kh, kw = kern.shape
    out = numpy.empty((b, f, oh, ow), dtype=img.dtype)
    if b == 0 or out.size == 0:
        return out
    weights = _unshared_kernel(kern.astype(img.dtype, copy=False), groups, flip)
    patches = _patches(padded, (kh, kw), (oh, ow), subsample, dilation)
    step = _batch_chunk(b, patches[0].size * img.itemsize)
    view = out.reshape(b, groups, f // groups, oh * ow)
    for start in range(0, b, step):
        cols = _columns(patches[start : start + step], groups)
        view[start : start + step] = numpy.einsum(
            "gfpk,bgkp->bgfp", weights, cols, optimize=True
        )
    return out


def unshared_grad_weights(
    img, topgrad, kshape, pads, subsample, dilation, groups, flip
):
    """Gradient of :func:`unshared_forward` with respect to the kernel.

    ``kshape`` is the spatial (kh, kw) of the kernel.  Returns an array
    (F, oh, ow, C/G, kh, kw) of ``img``'s dtype.
    """
    padded = pad_image(img, pads)
    b, c = img.shape[:2]
    f, oh, ow = topgrad.shape[1:]
    kh, kw = kshape
    cg = c // groups
    acc = numpy.zeros((groups, f // groups, oh * ow, cg * kh * kw), dtype=img.dtype)
    if b and acc.size:
        patches = _patches(padded, kshape, (oh, ow), subsample, dilation)
        top = topgrad.astype(img.dtype, copy=False).reshape(
            b, groups, f // groups, oh * ow
        )
        step = _batch_chunk(b, patches[0].size * img.itemsize)
        for start in range(0, b, step):
            cols = _columns(patches[start : start + step], groups)
            acc += numpy.einsum(
                "bgfp,bgkp->gfpk", top[start : start + step], cols, optimize=True
            )
    grad = acc.reshape(f, oh, ow, cg, kh, kw)
    if flip:
        grad = grad[..., ::-1, ::-1]
    return numpy.ascontiguousarray(grad)


def unshared_grad_inputs(
    kern, topgrad, imshape, pads, subsample, dilation, groups, flip
):
    """Gradient of :func:`unshared_forward` with respect to the image.

    ``imshape`` is the spatial (H, W) of the image.  Returns an array
    (B, C, H, W) of ``topgrad``'s dtype.
    """
    b, f, oh, ow = topgrad.shape
    cg, kh, kw = kern.shape[3:]
    c = cg * groups
    (pt, pb), (pl, pr) = pads
    h, w = imshape
    dtype = topgrad.dtype
    padded = numpy.zeros((b, c, h + pt + pb, w + pl + pr), dtype=dtype)
    if b and f and oh and ow and kh and kw and c:
        weights = _unshared_kernel(kern.astype(dtype, copy=False), groups, flip)
        top = topgrad.reshape(b, groups, f // groups, oh * ow)
        step = _batch_chunk(b, c * kh * kw * oh * ow * topgrad.itemsize)
        for start in range(0, b, step):
            stop = min(b, start + step)
            cols = numpy.einsum(
                "gfpk,bgfp->bgkp", weights, top[start:stop], optimize=True
            )
            cols = cols.reshape(stop - start, c, kh, kw, oh, ow)
            _scatter_add(padded[start:stop], cols, subsample, dilation)
    return numpy.ascontiguousarray(padded[:, :, pt : pt + h, pl : pl + w])
