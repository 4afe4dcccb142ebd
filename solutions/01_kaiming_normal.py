# Reference solution, chapter 01 (main exercise): Kaiming/He normal with a gain and a fan mode.
# Load it into a notebook cell with:  %load ../solutions/01_kaiming_normal.py
import math

from course_lib.exercises import check_kaiming_normal


def kaiming_normal(shape, gain, mode, rng):
    """He et al. 2015, eq. (10) and (14), in PyTorch's form: W ~ N(0, std^2), std = gain / sqrt(fan).

    shape = (fan_in, fan_out); mode "fan_in" keeps the forward activations steady, "fan_out" the backward gradients.
    """
    fan_in, fan_out = shape
    fan = fan_in if mode == "fan_in" else fan_out
    return rng.normal(0.0, gain / math.sqrt(fan), size=shape)


check_kaiming_normal(kaiming_normal)
