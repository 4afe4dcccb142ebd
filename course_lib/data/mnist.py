"""MNIST for the capstone (chapter 08): ``load_mnist`` reads the four original IDX files, each verified by
SHA-256, downloading them into a cache directory if they are not on disk. From a shell,
``python -m course_lib.data download [--dir DIR]`` fetches and verifies them ahead of time (``_main``).
"""

import argparse
import functools
import gzip
import hashlib
import http.client
import math
import os
import secrets
import sys
import urllib.request
import zlib
from pathlib import Path

import numpy as np

from ..progress import ProgressLine

__all__ = [
    "load_mnist",
    "fetch_mnist",
    "mnist_cache_dir",
    "MNISTFileError",
    "MNISTChecksumError",
    "MNISTNotFoundError",
    "MNISTDownloadError",
]


# ----------------------------------------------------------------------------------------------------------
# MNIST (chapter 08)
#
# File format: Y. LeCun, C. Cortes, C. J. C. Burges, "The MNIST database of handwritten digits",
# http://yann.lecun.com/exdb/mnist/, section "FILE FORMATS FOR THE MNIST DATABASE". Each file is a gzipped
# IDX file: 32-bit integers stored big-endian ("MSB first"), then the data, one unsigned byte per value.
#   label file (idx1): magic number 2049 (0x00000801), number of items, then one label (0-9) per item
#   image file (idx3): magic number 2051 (0x00000803), number of images, rows (28), columns (28), then the
#                      pixels, row-wise, one byte each (0 = background, 255 = foreground)
# ----------------------------------------------------------------------------------------------------------

MNIST_MIRRORS = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",  # torchvision's mirror
    "https://storage.googleapis.com/cvdf-datasets/mnist/",  # Google Cloud's (CVDF), used by TensorFlow's examples
)
"""Base URLs tried one after the other; a file's URL is ``base + filename``."""

MNIST_FILES = {
    "train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
    "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"),
}
"""The four original files, as ``split: (images file, labels file)``."""

MNIST_SHA256 = {
    "train-images-idx3-ubyte.gz": "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
    "train-labels-idx1-ubyte.gz": "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
    "t10k-images-idx3-ubyte.gz": "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
    "t10k-labels-idx1-ubyte.gz": "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
}
"""SHA-256 of each gzipped file; every file is checked against it before use, wherever it was found."""

MNIST_COUNTS = {"train": 60000, "test": 10000}
"""Number of examples the header of each split's files must announce."""

_IDX_MAGIC = {"images": 2051, "labels": 2049}
_IDX_HEADER_BYTES = {"images": 16, "labels": 8}
_SIDE = 28
_CLASSES = 10
_TIMEOUT = 60  # seconds to wait for a mirror to answer, or for the next bytes, before trying the next one
_CHUNK = 1 << 16


class MNISTFileError(ValueError):
    """An MNIST file is there but is not what was expected (bad gzip, bad IDX header, wrong length...)."""


class MNISTChecksumError(MNISTFileError):
    """An MNIST file's SHA-256 differs from the known one (``MNIST_SHA256``)."""


class MNISTNotFoundError(FileNotFoundError):
    """The MNIST files are not on disk and could not (or were not allowed to) be downloaded."""


class MNISTDownloadError(MNISTNotFoundError):
    """Every mirror failed for a file; the message lists each URL tried and why it failed."""


def mnist_cache_dir():
    """The per-user cache directory where downloaded MNIST files go, as a ``pathlib.Path``.

    ``$COURSE_CACHE_DIR/mnist`` if the environment variable ``COURSE_CACHE_DIR`` is set, else
    ``$XDG_CACHE_HOME/course_lib/mnist`` if ``XDG_CACHE_HOME`` is set (to an absolute path), else
    ``~/.cache/course_lib/mnist``. The directory is not created here.
    """
    root = os.environ.get("COURSE_CACHE_DIR")
    if root:
        return Path(root).expanduser() / "mnist"
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg) if xdg and os.path.isabs(xdg) else Path.home() / ".cache"
    return base / "course_lib" / "mnist"


def load_mnist(data_dir=None, download=True, dtype="uint8", *, flatten=True, progress=True):
    """Load MNIST's standard split: ``(x_train, y_train), (x_test, y_test)``, 60000 and 10000 examples.

    Each of the four original IDX files (``train-images-idx3-ubyte.gz``, ``train-labels-idx1-ubyte.gz``,
    ``t10k-images-idx3-ubyte.gz``, ``t10k-labels-idx1-ubyte.gz``) is looked for, in this order, in

    1. ``data_dir``, if given (it must be an existing directory);
    2. the directory named by the environment variable ``COURSE_DATA_DIR``, if set;
    3. the per-user cache, ``mnist_cache_dir()`` (``~/.cache/course_lib/mnist`` by default);
    4. and, if ``download`` is true, it is downloaded into the cache from the first of ``MNIST_MIRRORS``
       that delivers it, with a progress line on stderr. Each download goes to a temporary file in the
       cache directory, is verified, and only then renamed into place, so an interrupted download
       never leaves a partial file under the final name. ``data_dir`` and ``COURSE_DATA_DIR`` are only
       read, never written.

    Every file is checked against its SHA-256 (``MNIST_SHA256``) before use, wherever it was found. A
    file found with a wrong checksum raises ``MNISTChecksumError`` (naming the file, its path and both
    checksums) rather than being skipped in favour of the next location: a corrupt or foreign file
    where you put MNIST is something to fix, and silently loading other data would hide it. Then the IDX
    headers are validated (magic numbers 2051/2049, counts 60000/10000, 28x28 images, payload length,
    labels 0-9; format: LeCun et al., http://yann.lecun.com/exdb/mnist/, "FILE FORMATS FOR THE MNIST
    DATABASE"); any problem raises ``MNISTFileError`` (a ``ValueError``). Without the files, offline or with
    ``download=False``, ``MNISTNotFoundError`` (a ``FileNotFoundError``) says which files to put where.

    Parameters
    ----------
    data_dir : str, os.PathLike or None
        A directory searched first for the four files.
    download : bool
        Whether to download the files that are found nowhere.
    dtype : "uint8" or "float32"
        ``"uint8"``: the raw pixels, 0 to 255. ``"float32"``: the pixels divided by 255, in [0, 1].
    flatten : bool
        True (default): images of shape (n, 784), ready for an MLP. False: (n, 28, 28).
    progress : bool
        Whether to show a progress line on stderr while downloading.

    Returns
    -------
    ((x_train, y_train), (x_test, y_test))
        ``x`` as described above; ``y`` of shape (n,), int64 (so that labels index arrays directly).
        The arrays are new and writeable: the decoded files are kept in memory (about 55 MB) for the
        next call, read-only, and every call returns its own copies, so changing one result in place
        cannot change another.
    """
    directory = _as_directory(data_dir, "data_dir")
    dtype = _mnist_dtype(dtype)
    for value, name in ((download, "download"), (flatten, "flatten"), (progress, "progress")):
        if not isinstance(value, bool):
            raise TypeError(f"{name} must be True or False, got {value!r}")
    paths = _locate_mnist(directory, download, progress)
    result = []
    for split in ("train", "test"):
        images_name, labels_name = MNIST_FILES[split]
        images = _read_mnist_file(paths[images_name], images_name)
        labels = _read_mnist_file(paths[labels_name], labels_name)
        if len(images) != len(labels):
            raise MNISTFileError(
                f"{images_name} holds {len(images)} images but {labels_name} holds {len(labels)} labels; "
                "expected the same number"
            )
        result.append((_images_as(images, dtype, flatten), labels.astype(np.int64)))
    return tuple(result)


def fetch_mnist(target_dir=None, *, download=True, progress=True):
    """Make sure the four verified MNIST files are in ``target_dir`` (default: the cache); return its path.

    This is what ``python -m course_lib.data download [--dir DIR]`` runs. For each file:
    if it is already in ``target_dir`` it is verified (a wrong SHA-256 raises ``MNISTChecksumError``;
    the file is left alone); else a copy from ``COURSE_DATA_DIR`` or the cache (whichever has it first)
    is verified and copied; else, if ``download`` is true, it is downloaded from ``MNIST_MIRRORS``. Copies
    and downloads are written atomically (temporary file, verification, rename), as in ``load_mnist``.
    """
    target = _as_directory(target_dir, "target_dir", must_exist=False) or mnist_cache_dir()
    for value, name in ((download, "download"), (progress, "progress")):
        if not isinstance(value, bool):
            raise TypeError(f"{name} must be True or False, got {value!r}")
    target.mkdir(parents=True, exist_ok=True)
    others = [(label, d) for label, d in _search_dirs(None)[1:] if d is None or not _same_dir(d, target)]
    sources = [d for _, d in others if d is not None]
    searched = [("target", target), *others]
    missing = []
    for name in _mnist_names():
        dest = target / name
        if dest.is_file():
            _check_sha256(_sha256_of(dest), name, dest)
            continue
        source = _find_file(name, sources)
        if source is not None:
            with open(source, "rb") as stream:
                _install(stream, dest, name, str(source), total=None, progress=False)
        elif download:
            _download(name, target, progress, searched)
        else:
            missing.append(name)
    if missing:
        raise MNISTNotFoundError(_not_found_message(missing, searched, target, "downloading is off"))
    return target


# --- arguments ---------------------------------------------------------------------------------------------


def _as_directory(value, name, must_exist=True):
    """``value`` (str, os.PathLike or None) as a Path; with ``must_exist``, an existing directory."""
    if value is None:
        return None
    if not isinstance(value, (str, os.PathLike)):
        raise TypeError(f"{name} must be a str, an os.PathLike or None, got {type(value).__name__}")
    path = os.fspath(value)
    if not isinstance(path, str):
        raise TypeError(f"{name} must be a str path, got {path!r}")
    path = Path(path).expanduser()
    if must_exist and not path.is_dir():
        if path.exists():
            raise NotADirectoryError(f"{name} must be a directory; {str(path)!r} is not one")
        raise FileNotFoundError(f"{name} must be an existing directory; {str(path)!r} does not exist")
    return path


def _mnist_dtype(dtype):
    """``dtype`` as numpy's uint8 or float32, or raise naming the argument."""
    expected = "dtype must be 'uint8' (raw pixels) or 'float32' (scaled to [0, 1])"
    try:
        dt = np.dtype(dtype)
    except TypeError:
        error = ValueError if isinstance(dtype, str) else TypeError
        raise error(f"{expected}, got {dtype!r}") from None
    if dtype is None or dt.name not in ("uint8", "float32"):
        raise ValueError(f"{expected}, got {dtype!r}")
    return dt


# --- finding the files -------------------------------------------------------------------------------------


def _mnist_names():
    return [name for pair in MNIST_FILES.values() for name in pair]


def _file_kind(name):
    """``(kind, count)`` of an MNIST file name: kind "images" or "labels", count from ``MNIST_COUNTS``."""
    for split, (images_name, labels_name) in MNIST_FILES.items():
        if name in (images_name, labels_name):
            return ("images" if name == images_name else "labels"), MNIST_COUNTS[split]
    raise KeyError(f"not an MNIST file name: {name!r}")


def _search_dirs(data_dir):
    """The locations searched, in order, as ``(label, directory or None)``."""
    env = os.environ.get("COURSE_DATA_DIR")
    return [
        ("data_dir", data_dir),
        ("COURSE_DATA_DIR", Path(env).expanduser() if env else None),
        ("cache", mnist_cache_dir()),
    ]


def _find_file(name, directories):
    """The first ``directory / name`` that is a file, or None."""
    for directory in directories:
        if directory is not None and (directory / name).is_file():
            return directory / name
    return None


def _same_dir(a, b):
    try:
        return a.resolve() == b.resolve()
    except OSError:
        return False


def _locate_mnist(data_dir, download, progress):
    """Path of each of the four files, downloading into the cache those found nowhere (if allowed)."""
    searched = _search_dirs(data_dir)
    directories = [d for _, d in searched]
    paths = {name: _find_file(name, directories) for name in _mnist_names()}
    missing = [name for name, path in paths.items() if path is None]
    if missing and not download:
        raise MNISTNotFoundError(_not_found_message(missing, searched, mnist_cache_dir(), "download=False"))
    if missing:
        cache = mnist_cache_dir()
        cache.mkdir(parents=True, exist_ok=True)
        for name in missing:
            paths[name] = _download(name, cache, progress, searched)
    return paths


def _not_found_message(missing, searched, target, why):
    """What is missing, where it was looked for, and which four files to put where."""
    lines = [f"MNIST file(s) not found ({why}): {', '.join(missing)}", "Looked in, in this order:"]
    for label, directory in searched:
        if directory is None:
            lines.append(f"  {label}: (not set)")
        else:
            note = "" if directory.is_dir() else " (no such directory)"
            lines.append(f"  {label}: {directory}{note}")
    lines.append("To fix this, put these four files")
    lines.extend(f"  {name}" for name in _mnist_names())
    lines.append(
        f"into {target} (or into a directory named by the environment variable COURSE_DATA_DIR, or into a "
        "directory passed as load_mnist(data_dir=...)); or run `python -m course_lib.data download` where "
        "there is internet access."
    )
    return "\n".join(lines)


# --- reading and checking ----------------------------------------------------------------------------------


def _sha256_of(path):
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        while chunk := stream.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _check_sha256(actual, name, where, advice="delete it or replace it with a verified copy"):
    """Raise ``MNISTChecksumError`` if ``actual`` is not the known SHA-256 of ``name``."""
    expected = MNIST_SHA256[name]
    if actual != expected:
        raise MNISTChecksumError(
            f"{name} at {where} has the wrong SHA-256: expected {expected}, got {actual}. "
            f"It is damaged or not the original MNIST file; {advice}."
        )


def _parse_idx(raw, name, where):
    """Decode the decompressed IDX bytes of MNIST file ``name`` into a read-only uint8 array (no copy).

    Images come out as (n, 28, 28), labels as (n,). The header is validated first; see the format notes
    above ``MNIST_MIRRORS``.
    """
    kind, count = _file_kind(name)
    header_bytes = _IDX_HEADER_BYTES[kind]
    if len(raw) < header_bytes:
        raise MNISTFileError(
            f"{name} at {where} is truncated: {len(raw)} bytes, shorter than the {header_bytes}-byte IDX header"
        )
    header = np.frombuffer(raw, dtype=">u4", count=header_bytes // 4)
    magic, n = int(header[0]), int(header[1])
    if magic != _IDX_MAGIC[kind]:
        raise MNISTFileError(
            f"{name} at {where} has magic number {magic}, expected {_IDX_MAGIC[kind]} (IDX {kind} file)"
        )
    if n != count:
        raise MNISTFileError(f"{name} at {where} announces {n} {kind}, expected {count}")
    shape = (n,)
    if kind == "images":
        rows, cols = int(header[2]), int(header[3])
        if (rows, cols) != (_SIDE, _SIDE):
            raise MNISTFileError(f"{name} at {where} holds {rows}x{cols} images, expected {_SIDE}x{_SIDE}")
        shape = (n, rows, cols)
    expected_len = header_bytes + math.prod(shape)
    if len(raw) != expected_len:
        problem = "is truncated" if len(raw) < expected_len else "has trailing bytes"
        raise MNISTFileError(
            f"{name} at {where} {problem}: {len(raw)} bytes after decompression, expected {expected_len} "
            f"(a {header_bytes}-byte header and {math.prod(shape)} data bytes)"
        )
    array = np.frombuffer(raw, dtype=np.uint8, offset=header_bytes).reshape(shape)
    if kind == "labels" and n and int(array.max()) >= _CLASSES:
        raise MNISTFileError(f"{name} at {where} holds label {int(array.max())}, expected labels 0-9")
    return array


def _decompress(compressed, name, where):
    try:
        return gzip.decompress(compressed)
    except (OSError, EOFError, zlib.error) as error:
        raise MNISTFileError(f"{name} at {where} is not a complete gzip file: {error}") from None


@functools.lru_cache(maxsize=4)
def _read_verified(path, name, sha256, count):
    """The decoded, read-only contents of ``path``, after checking its SHA-256 and IDX header.

    The file is read once; the checksum is computed on the bytes that are then decoded. Cached per
    (resolved path, expected SHA-256, expected count): a cached entry is exactly the verified content.
    Exceptions are not cached.
    """
    compressed = Path(path).read_bytes()
    _check_sha256(hashlib.sha256(compressed).hexdigest(), name, path)
    return _parse_idx(_decompress(compressed, name, path), name, path)


def _read_mnist_file(path, name):
    _, count = _file_kind(name)
    return _read_verified(str(Path(path).resolve()), name, MNIST_SHA256[name], count)


def _images_as(images, dtype, flatten):
    """A new, writeable array from the cached read-only images: uint8 as is, or float32 / 255."""
    if flatten:
        images = images.reshape(len(images), -1)
    if dtype == np.uint8:
        return images.copy()
    out = images.astype(np.float32)
    out /= np.float32(255)
    return out


# --- downloading and installing ----------------------------------------------------------------------------


def _urlopen(url, timeout):
    """Open ``url`` for reading (the tests replace this function: they never use the network)."""
    request = urllib.request.Request(url, headers={"User-Agent": "course_lib (weights and biases course)"})
    return urllib.request.urlopen(request, timeout=timeout)


def _content_length(response):
    headers = getattr(response, "headers", None)
    value = headers.get("Content-Length") if headers is not None else None
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def _download(name, directory, progress, searched):
    """Download ``name`` into ``directory`` from the first mirror that delivers a verified copy.

    ``searched`` (the locations already looked in) goes into the error raised when every mirror fails.
    """
    failures = []
    for i, base in enumerate(MNIST_MIRRORS):
        url = base.rstrip("/") + "/" + name
        try:
            with _urlopen(url, timeout=_TIMEOUT) as response:
                total = _content_length(response)
                return _install(response, directory / name, name, url, total, progress, downloading=True)
        except (OSError, http.client.HTTPException, ValueError) as error:
            failures.append(f"  {url}: {type(error).__name__}: {error}")
            if progress:
                then = "trying the next mirror" if i + 1 < len(MNIST_MIRRORS) else "no mirror left"
                print(f"Could not download {name} from {url} ({error}); {then}.", file=sys.stderr)
    tried = "\n".join(failures) if failures else "  (MNIST_MIRRORS is empty)"
    raise MNISTDownloadError(
        f"Could not download {name} from any mirror. Tried:\n{tried}\n"
        + _not_found_message([name], searched, directory, "every download failed")
    )


def _install(stream, dest, name, source, total, progress, downloading=False):
    """Copy ``stream`` to ``dest`` atomically: temporary file, SHA-256 and IDX checks, then rename.

    On any error the temporary file is removed and nothing is left under ``dest``'s name.
    """
    tmp = dest.with_name(f".{dest.name}.{os.getpid()}.{secrets.token_hex(4)}.part")
    out = open(tmp, "xb")  # exclusive creation: the file removed below is always our own
    line = ProgressLine(enabled=progress, min_interval=0.2)
    try:
        digest, size = hashlib.sha256(), 0
        with out:
            while chunk := stream.read(_CHUNK):
                out.write(chunk)
                digest.update(chunk)
                size += len(chunk)
                line.show(_progress_text(f"Downloading {name}", size, total))
            out.flush()
            os.fsync(out.fileno())
        if total is not None and size != total:
            raise MNISTFileError(f"{name} from {source}: received {size} bytes, expected {total}")
        advice = "it was not kept" if downloading else "delete it or replace it with a verified copy"
        _check_sha256(digest.hexdigest(), name, source, advice)
        _parse_idx(_decompress(tmp.read_bytes(), name, source), name, source)
        os.replace(tmp, dest)
        return dest
    finally:
        line.close()
        tmp.unlink(missing_ok=True)


def _size(n):
    return f"{n / 1e6:.1f} MB" if n >= 100_000 else f"{n / 1e3:.1f} kB"


_BAR_WIDTH = 30


def _progress_text(label, done, total):
    """``label: [#####     ]  45% of 9.9 MB`` when the size is known, else ``label: 1.2 MB`` (bytes so far)."""
    if not total:
        return f"{label}: {_size(done)}"
    percent = min(100, done * 100 // total)
    bar = "#" * (_BAR_WIDTH * percent // 100)
    return f"{label}: [{bar:<{_BAR_WIDTH}}] {percent:3d}% of {_size(total)}"


# --- command line ------------------------------------------------------------------------------------------


def _main(argv=None):
    """``python -m course_lib.data download [--dir DIR] [--offline]``; returns the exit code."""
    parser = argparse.ArgumentParser(
        prog="python -m course_lib.data", description="Course datasets: fetch and verify MNIST ahead of time."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    fetch = commands.add_parser(
        "download",
        help="put the four verified MNIST files into the cache (or DIR)",
        description="Put the four MNIST files, verified by SHA-256, into DIR (default: the cache, "
        f"{mnist_cache_dir()}). Verified copies in COURSE_DATA_DIR or the cache are copied; "
        "the others are downloaded.",
    )
    fetch.add_argument("--dir", help="the directory to fill (created if needed)")
    fetch.add_argument("--offline", action="store_true", help="never download; only copy local verified files")
    args = parser.parse_args(argv)
    try:
        target = fetch_mnist(args.dir, download=not args.offline, progress=True)
    except (OSError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(f"MNIST: the four files are in {target}, verified by SHA-256.")
    return 0

