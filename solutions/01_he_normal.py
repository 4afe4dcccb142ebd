# Reference solution, chapter 01: He/Kaiming normal initialization for ReLU layers.
# Load it into a notebook cell with:  %load ../solutions/01_he_normal.py
import math

from course_lib.exercises import check_he_normal


def he_normal(shape, rng):
    """He et al. 2015, eq. (10): W ~ N(0, 2 / fan_in), with shape = (fan_in, fan_out)."""
    fan_in = shape[0]
    return rng.normal(0.0, math.sqrt(2.0 / fan_in), size=shape)


check_he_normal(he_normal)
