"""Small synthetic 2-D datasets (numpy only, seeded), so that every chapter but the MNIST one runs in seconds.

Each function returns ``(x, y)``: ``x`` of shape (n, 2), float64; ``y`` of shape (n,), int64 class
labels. ``rng`` is a ``numpy.random.Generator`` or a seed. Classes are balanced (up to one example).

MNIST for the capstone (chapter 08): ``load_mnist`` reads the four original IDX files, each verified by
SHA-256, downloading them into a cache directory if they are not on disk. From a shell,
``python -m course_lib.data download [--dir DIR]`` fetches and verifies them ahead of time.

``validation_split`` carves the course's fixed validation set out of a training set (module ``split``).

The code is in modules ``toy`` (the synthetic datasets), ``split`` and ``mnist`` (the loader and its command line);
their public names are re-exported here, and so are, outside ``__all__``, the loader's constants ``MNIST_*`` and
``_read_verified`` (chapter 08 shows it: ``show_source(data._read_verified)``). To replace one of the loader's
settings or functions (``MNIST_MIRRORS``, ``_urlopen``, ...), set it on ``course_lib.data.mnist``, where the
loader looks it up: rebinding the name here changes nothing.
"""

from .mnist import MNIST_COUNTS as MNIST_COUNTS
from .mnist import MNIST_FILES as MNIST_FILES
from .mnist import MNIST_MIRRORS as MNIST_MIRRORS
from .mnist import MNIST_SHA256 as MNIST_SHA256
from .mnist import (
    MNISTChecksumError,
    MNISTDownloadError,
    MNISTFileError,
    MNISTNotFoundError,
    fetch_mnist,
    load_mnist,
    mnist_cache_dir,
)
from .mnist import _read_verified as _read_verified
from .split import MNIST_VALIDATION_SEED, MNIST_VALIDATION_SIZE, validation_split
from .toy import circles, moons, shifted_blobs, spirals, xor

__all__ = [
    "moons",
    "circles",
    "spirals",
    "xor",
    "shifted_blobs",
    "load_mnist",
    "fetch_mnist",
    "mnist_cache_dir",
    "MNISTFileError",
    "MNISTChecksumError",
    "MNISTNotFoundError",
    "MNISTDownloadError",
    "validation_split",
    "MNIST_VALIDATION_SIZE",
    "MNIST_VALIDATION_SEED",
]
