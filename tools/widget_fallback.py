"""Give every stored widget output a still picture of its plot, for readers who cannot see stored widgets.

A widget cell's stored output holds ``application/vnd.jupyter.widget-view+json`` (a reference to a model in
the notebook's saved widget state, ``metadata.widgets``) and ``text/plain`` (its repr,
``InitExplorer(children=(HBox(...``). JupyterLab 4 with jupyterlab_widgets 3 draws the stored widget only
when the notebook is trusted AND a kernel is running: it renders untrusted outputs with a "safe" mime type
only, and its widget manager loads the saved state after asking the kernel for its widgets, so without a
kernel the view stays at "Loading widget..." (ipywidgets issue #3773). GitHub's viewer draws no widgets at all.

This adds ``image/png`` to each widget output: the picture that the widget itself shows, taken from its saved
state (the first ``Image`` widget with a PNG among its descendants, or the first PNG shown by an ``Output``
widget). A renderer that can draw the widget still prefers it; any other shows the picture instead of the repr.

    python tools/widget_fallback.py notebooks/*.ipynb            # add the pictures (run by `make notebooks`)
    python tools/widget_fallback.py --check notebooks/*.ipynb    # exit 1 if one is missing or stale
"""

import argparse
import json
import re
import sys
from pathlib import Path

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
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


def picture(state, model_id):
    """The first PNG among the model and its descendants (breadth first, in child order), or None."""
    queue, seen = [model_id], set()
    while queue:
        current = queue.pop(0)
        if current in seen or current not in state:
            continue
        seen.add(current)
        png = _png_of(state[current])
        if png:
            return png
        queue.extend(REFERENCE.findall(json.dumps(state[current].get("state", {}))))
    return None


def widget_outputs(nb):
    """(cell index, output) of every stored output that displays a widget."""
    return [
        (index, output)
        for index, cell in enumerate(nb.get("cells", []))
        for output in cell.get("outputs", [])
        if WIDGET_VIEW in output.get("data", {})
    ]


def problems(nb):
    """What a reader opening the notebook before running it would miss, as messages ([] if nothing)."""
    state, found = widget_state(nb), []
    for index, output in widget_outputs(nb):
        model_id = output["data"][WIDGET_VIEW]["model_id"]
        if model_id not in state:
            found.append(f"cell {index}: widget {model_id} is not in the saved widget state (\"model not found\")")
            continue
        png = picture(state, model_id)
        if png is None:
            found.append(f"cell {index}: widget {model_id} shows no PNG to use as its still picture")
        elif output["data"].get("image/png") != png:
            found.append(f"cell {index}: the still picture is missing or differs from the widget's stored plot")
    return found


def add_fallbacks(nb):
    """Add (or refresh) the ``image/png`` of every widget output; return how many changed."""
    state, changed = widget_state(nb), 0
    for _, output in widget_outputs(nb):
        png = picture(state, output["data"][WIDGET_VIEW]["model_id"])
        if png is not None and output["data"].get("image/png") != png:
            output["data"]["image/png"] = png
            changed += 1
    return changed


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="+", type=Path)
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 if a picture is missing")
    args = parser.parse_args(argv)
    status = 0
    for path in args.notebooks:
        nb = json.loads(path.read_text())
        if args.check:
            for message in problems(nb):
                print(f"{path}: {message}")
                status = 1
            continue
        changed = add_fallbacks(nb)
        if changed:
            # The layout nbformat writes (and nbconvert and JupyterLab): one-space indent, sorted keys, UTF-8.
            path.write_text(json.dumps(nb, indent=1, sort_keys=True, ensure_ascii=False) + "\n")
            print(f"{path}: {changed} widget output(s) given a still picture")
        for message in problems(nb):
            print(f"{path}: {message}")
            status = 1
    return status


if __name__ == "__main__":
    sys.exit(main())
