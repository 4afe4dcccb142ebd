"""course_lib.still_widgets: a saved course explorer is plainly a picture until its cell runs again."""

import copy
import json
from pathlib import Path

from course_lib.still_widgets import EXPLORER_CLASS, RUN_LINE, make_still, pre_save_hook, problems, widget_outputs

ROOT = Path(__file__).resolve().parents[1]
VIEW = "application/vnd.jupyter.widget-view+json"
STATE = "application/vnd.jupyter.widget-state+json"


def notebook(classes=(EXPLORER_CLASS,), disabled_default=True):
    """A notebook as JupyterLab saves one after an explorer ran: its output and its state, saved without defaults
    (``disabled: false`` is a default, so a live slider's state has no ``disabled`` key at all)."""
    slider = {} if disabled_default else {"disabled": False}
    state = {
        "aa01": {"model_name": "VBoxModel", "state": {"_dom_classes": list(classes),
                                                       "children": ["IPY_MODEL_bb02", "IPY_MODEL_cc03"]}},
        "bb02": {"model_name": "FloatSliderModel", "state": {"value": 0.5, **slider}},
        "cc03": {"model_name": "ImageModel", "state": {"format": "png"},
              "buffers": [{"path": ["value"], "encoding": "base64", "data": "iVBORw0KGgo="}]},
    }
    output = {"output_type": "execute_result", "execution_count": 3, "metadata": {},
              "data": {VIEW: {"model_id": "aa01", "version_major": 2, "version_minor": 0}, "text/plain": "Explorer()"}}
    return {"nbformat": 4, "nbformat_minor": 5, "metadata": {"widgets": {STATE: {"state": state}}},
            "cells": [{"cell_type": "code", "id": "a", "metadata": {}, "source": "explorer()", "outputs": [output]}]}


def test_make_still_gives_the_picture_disables_the_controls_and_says_to_run_the_cell():
    for disabled_default in (True, False):
        nb = notebook(disabled_default=disabled_default)
        assert len(problems(nb)) == 3  # no picture, a live-looking slider, no line
        assert make_still(nb) == 1
        assert problems(nb) == []
        outputs = nb["cells"][0]["outputs"]
        assert outputs[0] == {"name": "stdout", "output_type": "stream", "text": [RUN_LINE]}
        assert outputs[1]["data"]["image/png"] == "iVBORw0KGgo="
        assert nb["metadata"]["widgets"][STATE]["state"]["bb02"]["state"]["disabled"] is True
        assert make_still(nb) == 0 and len(nb["cells"][0]["outputs"]) == 2  # once is enough: nothing added twice


def test_other_widgets_are_left_alone():
    nb = notebook(classes=())
    before = copy.deepcopy(nb)
    assert widget_outputs(nb) == [] and make_still(nb) == 0 and nb == before


def test_the_save_hook_makes_a_saved_notebook_still_and_never_stops_a_save():
    model = {"type": "notebook", "content": notebook()}
    pre_save_hook(model=model, path="notebooks/01_initialization.ipynb", contents_manager=None)
    assert problems(model["content"]) == []
    text = {"type": "file", "content": "plain text"}
    pre_save_hook(model=text, path="notes.txt", contents_manager=None)
    assert text == {"type": "file", "content": "plain text"}
    broken = {"type": "notebook", "content": {"cells": [{"outputs": [{"data": {VIEW: {}}}]}],
                                              "metadata": {"widgets": "not a dict"}}}
    pre_save_hook(model=broken, path="broken.ipynb", contents_manager=None)  # logged, not raised


def test_the_server_is_configured_with_the_hook_and_jupyterlab_saves_widget_state():
    config = json.loads((ROOT / "binder" / "jupyter_server_config.json").read_text())
    assert config["ContentsManager"]["pre_save_hook"] == "course_lib.still_widgets.pre_save_hook"
    overrides = json.loads((ROOT / "binder" / "jupyterlab-overrides.json").read_text())
    assert overrides["@jupyter-widgets/jupyterlab-manager:plugin"]["saveState"] is True
