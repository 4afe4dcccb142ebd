# Reference solution, chapter 07: symmetric per-tensor quantization, as PyTorch's qint8 observers.
# Load it into a notebook cell with:  %load ../solutions/07_symmetric_quantize.py
import numpy as np

from course_lib.exercises import check_symmetric_quantize


def symmetric_quantize(w, bits):
    """Signed integers in [-2^(b-1), 2^(b-1) - 1]; zero_point is 0, so 0.0 stays exactly 0."""
    qmin, qmax = -(2 ** (bits - 1)), 2 ** (bits - 1) - 1
    scale = np.abs(w).max() / ((qmax - qmin) / 2)
    q = np.clip(np.round(w / scale), qmin, qmax)  # a new array: w is not changed
    return q.astype(np.int32), scale  # np.round returns floats; quantized values are integers


check_symmetric_quantize(symmetric_quantize)
