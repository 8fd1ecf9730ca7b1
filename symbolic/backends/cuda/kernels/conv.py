"""Convolution helpers (im2col, col2im) and 2-d pooling kernels.

Convolution runs as im2col followed by a cuBLAS GEMM, as the CPU path of
:mod:`symbolic.ops.conv.im2col` does with numpy.  Images are C-contiguous
``(channels, height, width)`` planes of one batch item; the column matrix
is ``(channels * kh * kw, out_h * out_w)``.  ``col2im`` is the adjoint
(the gradient with respect to the input): each image pixel sums the
column entries that read it, so no atomics are needed.

Pooling works on ``planes = batch * channels`` contiguous ``h x w`` planes,
with ``mode`` 0 = max, 1 = sum, 2 = average counting the padding (a
window clipped at the padded border counts what is left of it), 3 =
average over the window's pixels inside the image.  Windows start at
``row * stride - pad``; padded pixels never win a max.  The max-pool
gradient gives a window's gradient to every pixel equal to its maximum,
as the CPU op does.
"""

from symbolic.backends.c.scalar_c import C_TYPES, FLOATS, Unsupported
from symbolic.backends.cuda.kernels.source import CudaKernel

_SOURCE = """
extern "C" __global__ void im2col_{d}(const {T} *img, long long channels,
    long long height, long long width, long long kh, long long kw,
    long long pad_h, long long pad_w, long long stride_h, long long stride_w,
    long long dil_h, long long dil_w, long long out_h, long long out_w, {T} *col)
{{
    VM_FOR(e, channels * kh * kw * out_h * out_w) {{
        long long ox = e % out_w, oy = (e / out_w) % out_h;
        long long row = e / (out_w * out_h);
        long long kx = row % kw, ky = (row / kw) % kh, c = row / (kw * kh);
        long long y = oy * stride_h - pad_h + ky * dil_h;
        long long x = ox * stride_w - pad_w + kx * dil_w;
        col[e] = (y >= 0 && y < height && x >= 0 && x < width)
            ? img[(c * height + y) * width + x] : ({T})0;
    }}
}}

extern "C" __global__ void col2im_{d}(const {T} *col, long long channels,
    long long height, long long width, long long kh, long long kw,
    long long pad_h, long long pad_w, long long stride_h, long long stride_w,
    long long dil_h, long long dil_w, long long out_h, long long out_w, {T} *img)
{{
    VM_FOR(e, channels * height * width) {{
        long long x = e % width, y = (e / width) % height, c = e / (width * height);
        {T} total = 0;
        for (long long ky = 0; ky < kh; ++ky) {{
            long long ty = y + pad_h - ky * dil_h;
            if (ty < 0 || ty % stride_h != 0 || ty / stride_h >= out_h) continue;
            for (long long kx = 0; kx < kw; ++kx) {{
                long long tx = x + pad_w - kx * dil_w;
                if (tx < 0 || tx % stride_w != 0 || tx / stride_w >= out_w) continue;
                long long row = (c * kh + ky) * kw + kx;
                total += col[(row * out_h + ty / stride_h) * out_w + tx / stride_w];
            }}
        }}
        img[e] = total;
    }}
}}

extern "C" __global__ void pool2d_{d}(const {T} *x, long long planes,
    long long height, long long width, long long out_h, long long out_w,
    long long ws_h, long long ws_w, long long stride_h, long long stride_w,
    long long pad_h, long long pad_w, int mode, {T} *out)
{{
    VM_FOR(e, planes * out_h * out_w) {{
        long long ox = e % out_w, oy = (e / out_w) % out_h, p = e / (out_w * out_h);
        long long y0 = oy * stride_h - pad_h, x0 = ox * stride_w - pad_w;
        long long y1 = min(y0 + ws_h, height), x1 = min(x0 + ws_w, width);
        long long ys = max(y0, 0LL), xs = max(x0, 0LL);
        const {T} *plane = x + p * height * width;
        {T} acc = mode == 0 ? ({T})-INFINITY : ({T})0;
        for (long long y = ys; y < y1; ++y)
            for (long long xx = xs; xx < x1; ++xx) {{
                {T} v = plane[y * width + xx];
                acc = mode == 0 ? ((acc >= v || acc != acc) ? acc : v) : acc + v;
            }}
        if (mode == 2)
            acc /= ({T})((min(y0 + ws_h, height + pad_h) - y0)
                         * (min(x0 + ws_w, width + pad_w) - x0));
        if (mode == 3) acc /= ({T})((y1 - ys) * (x1 - xs));
        out[e] = acc;
    }}
}}

extern "C" __global__ void pool2d_grad_{d}(const {T} *x, const {T} *pooled,
    const {T} *gz, long long planes, long long height, long long width,
    long long out_h, long long out_w, long long ws_h, long long ws_w,
    long long stride_h, long long stride_w, long long pad_h, long long pad_w,
    int mode, {T} *gx)
{{
    VM_FOR(e, planes * height * width) {{
        long long xx = e % width, y = (e / width) % height, p = e / (width * height);
        long long oy0 = (y + pad_h) < ws_h ? 0 : (y + pad_h - ws_h) / stride_h + 1;
        long long ox0 = (xx + pad_w) < ws_w ? 0 : (xx + pad_w - ws_w) / stride_w + 1;
        long long oy1 = min((y + pad_h) / stride_h + 1, out_h);
        long long ox1 = min((xx + pad_w) / stride_w + 1, out_w);
        {T} total = 0;
        for (long long oy = oy0; oy < oy1; ++oy)
            for (long long ox = ox0; ox < ox1; ++ox) {{
                long long o = (p * out_h + oy) * out_w + ox;
                if (mode == 0) {{
                    if (x[e] == pooled[o]) total += gz[o];
                    continue;
                }}
                long long y0 = oy * stride_h - pad_h, x0 = ox * stride_w - pad_w;
                {T} count = ({T})((min(y0 + ws_h, height + pad_h) - y0)
                                  * (min(x0 + ws_w, width + pad_w) - x0));
                if (mode == 3) {{
                    long long y1 = min(y0 + ws_h, height), x1 = min(x0 + ws_w, width);
                    count = ({T})((y1 - max(y0, 0LL)) * (x1 - max(x0, 0LL)));
                }}
                total += mode == 1 ? gz[o] : gz[o] / count;
            }}
        gx[e] = total;
    }}
}}
"""

#: Pooling mode names of :mod:`symbolic.ops.pool` -> the kernels' ``mode``.
POOL_MODES = {"max": 0, "sum": 1, "average_inc_pad": 2, "average_exc_pad": 3}


def render(dtype):
    """The :class:`CudaKernel` of im2col, col2im and pooling for ``dtype``."""
    if dtype not in FLOATS:
        raise Unsupported(f"the conv and pool kernels take floats, not {dtype}")
    return CudaKernel(f"conv_{dtype}", _SOURCE.format(d=dtype, T=C_TYPES[dtype]))
