# Reference solution, chapter 10: conv2d by im2col and one matrix product (the kernel is not flipped).
# Load it into a notebook cell with:  %load ../solutions/10_conv2d.py
import numpy as np

from course_lib.exercises import check_conv2d


def conv2d(x, W, b, stride, padding):
    """Cross-correlation of x (N, C_in, H, W) with W (C_out, C_in, kH, kW), plus b (C_out,) or None."""
    N, C_in, H, Wd = x.shape
    C_out, _, kH, kW = W.shape
    H_out = (H + 2 * padding - kH) // stride + 1
    W_out = (Wd + 2 * padding - kW) // stride + 1
    xp = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))   # a new array: x is unchanged
    cols = np.empty((C_in, kH, kW, N, H_out, W_out), dtype=x.dtype)          # row (c, u, v), column (n, i, j)
    for u in range(kH):
        for v in range(kW):
            cols[:, u, v] = xp[:, :, u:u + stride * H_out:stride, v:v + stride * W_out:stride].transpose(1, 0, 2, 3)
    y = W.reshape(C_out, -1) @ cols.reshape(C_in * kH * kW, -1)             # (C_out, N*H_out*W_out)
    if b is not None:
        y = y + b[:, None]
    return y.reshape(C_out, N, H_out, W_out).transpose(1, 0, 2, 3)


check_conv2d(conv2d)
