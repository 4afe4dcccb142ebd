"""One line of text that shows how far a long task has come, redrawn in place.

In Jupyter it is an updatable display (the cell shows the latest line only); elsewhere it is written to stderr
and redrawn with a carriage return. Used by ``train`` (epochs and losses) and the MNIST download (bytes).
It shows no timings, so that a notebook's stored output stays the same from run to run.
"""

import sys
import time

__all__ = ["ProgressLine"]


class ProgressLine:
    """``line = ProgressLine(); line.show("epoch 1/10 ..."); ...; line.close()``.

    ``min_interval``: on a terminal, a new text is written at most this often (seconds), except the first
    and, through ``close``, the last; in Jupyter every ``show`` updates the display.
    ``enabled=False`` makes every call do nothing (tests, quiet runs).
    """

    def __init__(self, enabled=True, min_interval=0.0):
        self.enabled, self.min_interval = enabled, min_interval
        self.handle, self.text, self.written, self.last_time = None, None, None, None
        if enabled:
            self._open_display()

    def _open_display(self):
        try:
            from IPython import get_ipython
            from IPython.display import Pretty, display
        except ImportError:
            return
        shell = get_ipython()
        if shell is not None and hasattr(shell, "kernel"):
            self._pretty = Pretty
            self.handle = display(Pretty(""), display_id=True)

    def show(self, text):
        """Replace the line with ``text``."""
        if not self.enabled or text == self.text:
            return
        self.text = text
        if self.handle is not None:
            self.handle.update(self._pretty(text))
            return
        now = time.monotonic()
        if self.last_time is None or now - self.last_time >= self.min_interval:
            self._write()
            self.last_time = now

    def _write(self):
        print("\r" + self.text, end="", file=sys.stderr, flush=True)
        self.written = self.text

    def close(self):
        """Show the last text (if a time limit held it back) and end the line on a terminal."""
        if not self.enabled or self.handle is not None or self.text is None:
            return
        if self.written != self.text:
            self._write()
        print(file=sys.stderr, flush=True)
