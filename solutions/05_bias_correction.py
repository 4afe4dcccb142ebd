# Reference solution, chapter 05: Adam's bias correction.
# Load it into a notebook cell with:  %load ../solutions/05_bias_correction.py
from course_lib.exercises import check_bias_correction


def bias_correction(m, v, t, beta1, beta2):
    """m and v start at 0, so after t steps they hold only 1 - beta**t of the gradient's (squared) size;
    dividing by that factor undoes it (Kingma & Ba 2015, Sec. 3). t counts from 1."""
    return m / (1 - beta1**t), v / (1 - beta2**t)


check_bias_correction(bias_correction)
