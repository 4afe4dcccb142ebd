"""Stored widgets that are plainly pictures: what the course does to a notebook's widget outputs when it is saved.

A widget cell's stored output holds ``application/vnd.jupyter.widget-view+json`` (a reference to a model in
the notebook's saved widget state, ``metadata.widgets``) and ``text/plain`` (its repr,
``InitExplorer(children=(HBox(...``). JupyterLab 4 with jupyterlab_widgets 3 draws the stored widget only
when the notebook is trusted AND a kernel is running: it renders untrusted outputs with a "safe" mime type
only, and its widget manager loads the saved state after asking the kernel for its widgets, so without a
kernel the view stays at "Loading widget..." (ipywidgets issue #3773). GitHub's viewer draws no widgets at all.
And a stored widget has no kernel behind it: its sliders can be dragged, but nothing happens.

``make_still(nb)`` changes three things for each output of a course explorer (``EXPLORER_CLASS``):

* it adds ``image/png`` to the output: the picture that the widget itself shows, taken from its saved state (the
  first ``Image`` widget with a PNG among its descendants, or the first PNG shown by an ``Output`` widget). A
  renderer that can draw the widget still prefers it; any other shows the picture instead of the repr;
* it disables every control of the widget in the saved state (``disabled: true``): a slider that can be dragged
  but changes nothing tells a learner the course is broken; greyed controls say they are not live;
* it puts one line before the widget output, RUN_LINE, which says so and what to do. Running the cell replaces
  the stored outputs with the live widget, whose controls work (and the line is gone).

Two places apply it: ``make notebooks`` (``tools/widget_fallback.py``), to the notebooks as committed, and the
Jupyter server, to every notebook a learner saves (``pre_save_hook``, configured by ``make lab`` and Binder, with
JupyterLab set to save the widgets' state: ``binder/``). So a notebook saved after its explorer ran, then opened
again after a restart, shows the explorer's last picture, not "Error displaying widget: model not found".
Pure JSON: this module needs neither ipywidgets nor numpy.
"""

import json
import logging
import re

__all__ = ["EXPLORER_CLASS", "RUN_LINE", "make_still", "problems", "pre_save_hook", "widget_outputs"]

EXPLORER_CLASS = "course-explorer"  # the CSS class of every course explorer (course_lib.widgets._base.Explorer)
# The models of controls, which can be disabled (``disabled`` is left out of a state saved without defaults).
CONTROL_MODEL = re.compile(r"(Slider|Dropdown|ToggleButtons?|Button|Checkbox|Text|Textarea|Select|SelectMultiple|"
                           r"RadioButtons|Combobox|Play|ColorPicker|DatePicker)Model$")
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
RUN_LINE = "A still picture: run this cell (Shift+Enter) to move the sliders.\n"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
REFERENCE = re.compile(r"IPY_MODEL_([0-9a-f]+)")


def widget_state(nb):
    """{model_id: model} of the notebook's saved widget state ({} if none)."""
    return nb.get("metadata", {}).get("widgets", {}).get(WIDGET_STATE, {}).get("state", {})


def _png_of(model):
    """The base64 PNG a model shows itself, or None."""
    name, state = model.get("model_name"), model.get("state", {})
    if name == "ImageModel" and state.get("format", "png") == "png":
        for buffer in model.get("buffers", []):
            if buffer.get("path") == ["value"] and buffer.get("encoding", "base64") == "base64":
                return buffer["data"]
    if name == "OutputModel":
        for output in state.get("outputs", []):
            png = output.get("data", {}).get("image/png")
            if png:
                return png if isinstance(png, str) else "".join(png)
    return None


def descendants(state, model_id):
    """The ids of the model and of every model it refers to, directly or not."""
    queue, seen = [model_id], []
    while queue:
        current = queue.pop(0)
        if current in seen or current not in state:
            continue
        seen.append(current)
        queue.extend(REFERENCE.findall(json.dumps(state[current].get("state", {}))))
    return seen


def picture(state, model_id):
    """The first PNG among the model and its descendants (breadth first, in child order), or None."""
    return next((png for m in descendants(state, model_id) if (png := _png_of(state[m]))), None)


def controls(state, model_id):
    """The models of the widget's controls: those of its descendants that can be disabled."""
    return [state[m] for m in descendants(state, model_id) if CONTROL_MODEL.search(state[m].get("model_name", ""))]


def widget_outputs(nb):
    """(cell, output) of every stored output that displays a course explorer."""
    state = widget_state(nb)
    return [
        (cell, output)
        for cell in nb.get("cells", [])
        for output in cell.get("outputs", [])
        if WIDGET_VIEW in output.get("data", {}) and _is_explorer(state, output["data"][WIDGET_VIEW].get("model_id"))
    ]


def _is_explorer(state, model_id):
    """Whether the model is a course explorer; True when the saved state lacks it (``problems`` reports that)."""
    model = state.get(model_id)
    return model is None or EXPLORER_CLASS in model.get("state", {}).get("_dom_classes", [])


def _run_line_before(cell, output):
    """Whether the output just before ``output`` in its cell is RUN_LINE (on stdout)."""
    index = cell["outputs"].index(output)
    previous = cell["outputs"][index - 1] if index else None
    return bool(previous and previous.get("output_type") == "stream" and "".join(previous["text"]) == RUN_LINE)


def problems(nb):
    """What a reader opening the notebook before running it would miss or be misled by, as messages."""
    state, found = widget_state(nb), []
    for cell, output in widget_outputs(nb):
        where = f"cell {cell.get('id', '?')}"
        model_id = output["data"][WIDGET_VIEW]["model_id"]
        if model_id not in state:
            found.append(f"{where}: widget {model_id} is not in the saved widget state (\"model not found\")")
            continue
        png = picture(state, model_id)
        if png is None:
            found.append(f"{where}: widget {model_id} shows no PNG to use as its still picture")
        elif output["data"].get("image/png") != png:
            found.append(f"{where}: the still picture is missing or differs from the widget's stored plot")
        live = [m["model_name"] for m in controls(state, model_id) if not m.get("state", {}).get("disabled")]
        if live:
            found.append(f"{where}: stored controls that look live but do nothing: {', '.join(live)}")
        if not _run_line_before(cell, output):
            found.append(f"{where}: no line before the widget saying to run the cell ({RUN_LINE.strip()!r})")
    return found


def make_still(nb):
    """Give every widget output its still picture, disabled controls and the run line; return how many changed."""
    state, changed = widget_state(nb), 0
    for cell, output in widget_outputs(nb):
        before = json.dumps([output, cell["outputs"]], sort_keys=True)
        model_id = output["data"][WIDGET_VIEW]["model_id"]
        png = picture(state, model_id)
        if png is not None:
            output["data"]["image/png"] = png
        for model in controls(state, model_id):
            model.setdefault("state", {})["disabled"] = True
        if not _run_line_before(cell, output):
            index = cell["outputs"].index(output)
            cell["outputs"].insert(index, {"name": "stdout", "output_type": "stream", "text": [RUN_LINE]})
        changed += json.dumps([output, cell["outputs"]], sort_keys=True) != before
    return changed




def pre_save_hook(model, **kwargs):
    """The Jupyter server's hook before it saves a file (``ContentsManager.pre_save_hook``): ``make_still`` on a
    notebook. A failure is logged and the notebook saved as it is: a save must never be lost to this."""
    if model.get("type") != "notebook" or not isinstance(model.get("content"), dict):
        return
    try:
        make_still(model["content"])
    except Exception:  # noqa: BLE001 - saving the learner's work comes first
        logging.getLogger(__name__).exception("course_lib.still_widgets: could not make the stored widgets still")
