# Reference solution, chapter 10: the output size of a convolution along one axis.
# Load it into a notebook cell with:  %load ../solutions/10_conv_output_size.py
from course_lib.exercises import check_conv_output_size


def conv_output_size(size, kernel, stride, padding):
    """floor((size + 2*padding - kernel) / stride) + 1: the windows that fit in the padded input."""
    return (size + 2 * padding - kernel) // stride + 1


check_conv_output_size(conv_output_size)
