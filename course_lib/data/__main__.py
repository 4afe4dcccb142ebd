"""``python -m course_lib.data download [--dir DIR] [--offline]``: put the four verified MNIST files into the cache
(or DIR) ahead of time. See ``course_lib.data.mnist._main``."""

import sys

from .mnist import _main

if __name__ == "__main__":
    sys.exit(_main())
