# Reference solution, chapter 04: the best heavy-ball momentum on a quadratic.
# Load it into a notebook cell with:  %load ../solutions/04_optimal_momentum.py
import math

from course_lib.exercises import check_optimal_momentum


def optimal_momentum(kappa):
    """Polyak 1964: with lr = 4 / (sqrt(L) + sqrt(mu))^2, beta = ((sqrt(kappa) - 1) / (sqrt(kappa) + 1))^2
    gives the rate (sqrt(kappa) - 1) / (sqrt(kappa) + 1), the square root of beta."""
    rate = (math.sqrt(kappa) - 1) / (math.sqrt(kappa) + 1)
    return rate**2


check_optimal_momentum(optimal_momentum)
