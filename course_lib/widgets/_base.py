"""What every explorer shares: ``Explorer``, rows of controls above a picture that is redrawn when a control
changes, and ``BlittedFigure``, the matplotlib figure behind that picture. Also two axes that several explorers draw
(``loss_axis``, ``contours``).
"""

import io
import threading

import ipywidgets as widgets
import numpy as np
import PIL.Image
from matplotlib.axis import Axis
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import NullLocator

from ..still_widgets import EXPLORER_CLASS


class BlittedFigure:
    """A matplotlib figure whose static parts are drawn once, so that a new picture costs a few milliseconds.

    The static parts (axes, ticks, labels, legends, contours) do not change when a control moves; they are drawn
    once into a background. ``png()`` restores that background, draws only the ``dynamic`` artists on top of it
    (blitting), in the order given, and returns the picture as PNG bytes. Text is the slowest thing matplotlib
    draws, so this keeps a redraw well under 100 ms (``benchmarks/widget_latency.py`` measures it).

    An axis whose limits or ticks follow a control (``ax.xaxis``) may be one of the ``dynamic`` artists. The
    axes among them are drawn first, on top of the background, and their pixels are kept until their limits or
    tick positions change (see ``_background_with_axes``): most pictures then skip their tick labels' text.
    (The init explorer's three such axes take 17 ms to draw, a whole picture without them 11 ms.)

    Every other axis limit must stay fixed; after changing a static part, call ``invalidate()`` and the next
    ``png()`` draws the background again.
    """

    def __init__(self, figsize, dpi=80):
        self.fig = Figure(figsize=figsize, dpi=dpi)
        self.canvas = FigureCanvasAgg(self.fig)
        self.dynamic = ()  # the artists that change from one picture to the next
        self.background = None
        self._axis_layers = []  # per dynamic axis: (its limits and ticks, the background with it and those before)

    def invalidate(self):
        """Forget the background: a static part changed, so the next ``png()`` draws it again."""
        self.background = None
        self._axis_layers = []

    def _draw_background(self):
        """Draw the whole figure with the dynamic artists hidden and keep its pixels."""
        visible = [artist.get_visible() for artist in self.dynamic]
        for artist in self.dynamic:
            artist.set_visible(False)
        self.canvas.draw()
        self.background = self.canvas.copy_from_bbox(self.fig.bbox)
        for artist, shown in zip(self.dynamic, visible):  # an artist hidden on purpose stays hidden
            artist.set_visible(shown)

    def _background_with_axes(self):
        """The background with the dynamic axes drawn on it, as they are now.

        Each axis is a layer of pixels on top of the ones before it, in the order of ``dynamic``, kept with the
        limits and tick positions it was drawn with. Only the first axis whose limits or ticks changed and the ones
        after it are drawn again, so the axes that change most often should come last.
        """
        axes = [artist for artist in self.dynamic if isinstance(artist, Axis)]
        states = [(tuple(axis.get_view_interval()), tuple(axis.get_majorticklocs())) for axis in axes]
        unchanged = 0
        while unchanged < len(self._axis_layers) and self._axis_layers[unchanged][0] == states[unchanged]:
            unchanged += 1
        del self._axis_layers[unchanged:]
        if unchanged < len(axes):
            self.canvas.restore_region(self._axis_layers[-1][1] if self._axis_layers else self.background)
            for axis, state in zip(axes[unchanged:], states[unchanged:]):
                self.fig.draw_artist(axis)
                self._axis_layers.append((state, self.canvas.copy_from_bbox(self.fig.bbox)))
        return self._axis_layers[-1][1] if self._axis_layers else self.background

    def png(self):
        """The picture as PNG bytes: the background, with the dynamic artists as they are now drawn on top."""
        if self.background is None:
            self._draw_background()
        self.canvas.restore_region(self._background_with_axes())
        for artist in self.dynamic:
            if not isinstance(artist, Axis):
                self.fig.draw_artist(artist)
        buffer = io.BytesIO()
        PIL.Image.fromarray(np.asarray(self.canvas.buffer_rgba())).save(buffer, format="png", compress_level=1)
        return buffer.getvalue()


class Explorer(widgets.VBox):
    """Rows of controls above a picture (``image``, PNG bytes), redrawn whenever a control's value changes.

    A subclass makes its controls (ipywidgets, kept as attributes such as ``.lr_slider``) and whatever its figure
    needs, then calls ``super().__init__(rows, figsize)`` with the controls in rows: a row of one control is shown
    as it is, the controls of a longer row side by side. That draws the figure, watches every control and shows
    the first picture. The subclass defines three methods:

        build_figure(fig)   draw the figure's static parts on ``fig``; return the artists that change
        compute()           the numbers for the current control values (a function of course_lib.experiments)
        draw(data)          put those numbers into the artists that change

    ``data`` holds the last result of ``compute()``; ``controls`` every control, row by row. ``status`` is a line at
    the end of the last row of controls: "computing..." while a redraw takes longer than BUSY_AFTER seconds, so
    that a learner who moved a slider knows the picture is on its way (and does not click again), empty otherwise.
    """

    BUSY_AFTER = 0.3  # seconds: faster redraws show no status, so that moving a slider does not flicker
    BUSY_TEXT = "<i>computing…</i>"

    def __init__(self, rows, figsize):
        """``rows``: lists of controls, shown top to bottom; ``figsize``: the figure's (width, height) in inches."""
        self.controls = tuple(control for row in rows for control in row)
        self.image = widgets.Image(format="png")
        self.status = widgets.HTML("")
        self._busy_lock, self._computing = threading.Lock(), False
        self.data = None
        self._figure = BlittedFigure(figsize)
        self._figure.dynamic = tuple(self.build_figure(self._figure.fig))
        for control in self.controls:
            control.observe(self.update, names="value")
        rows = [list(row) for row in rows[:-1]] + [list(rows[-1]) + [self.status]]
        super().__init__([row[0] if len(row) == 1 else widgets.HBox(row) for row in rows] + [self.image])
        self.add_class(EXPLORER_CLASS)  # how a saved notebook tells the course's explorers (still_widgets) apart
        self.update()

    def build_figure(self, fig):
        """Draw the static parts of the figure on ``fig`` and return the artists that ``draw`` changes."""
        raise NotImplementedError

    def compute(self):
        """The numbers for the current control values."""
        raise NotImplementedError

    def draw(self, data):
        """Put ``data`` (from ``compute``) into the artists that ``build_figure`` returned."""
        raise NotImplementedError

    def update(self, change=None):
        """Recompute the numbers for the current control values and redraw the picture.

        A timer shows BUSY_TEXT if this takes longer than BUSY_AFTER seconds. (The work runs in the kernel's main
        thread; the timer's thread sends the status to the browser while it runs, as any widget change is sent.)
        """
        with self._busy_lock:
            self._computing = True
        timer = threading.Timer(self.BUSY_AFTER, self._show_busy)
        timer.daemon = True
        timer.start()
        try:
            self.data = self.compute()
            self.draw(self.data)
            self.image.value = self._figure.png()
        finally:
            timer.cancel()
            with self._busy_lock:  # a timer that fired just now cannot show "computing" after this
                self._computing = False
                self.status.value = ""

    def _show_busy(self):
        with self._busy_lock:
            if self._computing:
                self.status.value = self.BUSY_TEXT


def loss_axis(ax, steps, low, high, label="loss"):
    """A log-scale loss-per-step axis with fixed limits (so that the blitted background stays valid)."""
    ax.set_yscale("log")
    ax.set_ylim(low, high)
    ax.set_xlim(0, steps)
    ax.yaxis.set_minor_locator(NullLocator())
    ax.set_xlabel("step")
    ax.set_ylabel(label)


def contours(ax, w1, w2, surface, levels, extent, title, cmap="viridis", linewidth=0.8):
    """Loss contours on the (w1, w2) grid, with fixed limits and a title (the caller marks the minimum)."""
    ax.contour(w1, w2, surface, levels=levels, cmap=cmap, linewidths=linewidth)
    ax.set_xlim(*extent[:2])
    ax.set_ylim(*extent[2:])
    ax.set_title(title, fontsize=10)
