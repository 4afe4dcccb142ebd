"""Real-browser test: a learner who comes back. Run an explorer, save, restart the kernel, reload the page.

The explorer then shows what the saved notebook stores: its last picture, its controls disabled and the line that
says to run the cell, never "Error displaying widget: model not found". That holds because JupyterLab saves the
widgets' state with the notebook (binder/jupyterlab-overrides.json: saveState) and the server makes the saved
explorer still (binder/jupyter_server_config.json: course_lib.still_widgets.pre_save_hook), both installed by make.
Runs on a copy of notebooks/ (the test never writes to the repository), at a laptop's 1280 x 800, trusted as after
``make lab``; screenshots of the explorer while live and after the reload go to ``test-artifacts/``.
"""

import json

import pytest
from test_jupyterlab import WIDGET_ERRORS
from test_opened_before_run import (
    ARTIFACTS,
    LIVE_CONTROLS,
    RUN_LINE,
    Lab,
    browser,  # noqa: F401 (a fixture)
    check_until,
    dismiss_kernel_dialog,
    open_notebook,
)

pytestmark = pytest.mark.browser

NOTEBOOK = "00_start_here.ipynb"
DISABLED_CONTROLS = """area => [...area.querySelectorAll('input, select, button, .noUi-target')]
    .filter(e => e.disabled || e.hasAttribute('disabled')).map(e => e.outerHTML.slice(0, 80))"""


def explorer_area(panel):
    """The output area of the notebook's first explorer (the cell that calls ``neuron_explorer(``)."""
    cell = panel.locator(".jp-CodeCell", has_text="neuron_explorer(").first
    return cell.locator(".jp-OutputArea")


def run(page, command):
    page.evaluate("command => { window.jupyterapp.commands.execute(command); }", command)


def test_an_explorer_saved_restarted_and_reloaded_shows_its_picture_not_an_error(tmp_path, browser):  # noqa: F811
    lab = Lab(tmp_path, trusted=True)
    try:
        lab.open_page(browser)
        page = lab.page
        panel = open_notebook(lab, NOTEBOOK)
        dismiss_kernel_dialog(page)
        area = explorer_area(panel)

        # Run every cell; the explorer is live: enabled controls, no stored line.
        check_until(120, lambda: assert_kernel_ready(lab, page))
        run(page, "notebook:run-all-cells")

        def live():
            assert area.locator(".widget-slider").count(), "the explorer is not drawn"
            assert not area.evaluate(DISABLED_CONTROLS), "the running explorer's controls are disabled"
            assert RUN_LINE.strip() not in area.inner_text(), "the stored line is still shown"

        try:
            check_until(60, live)
        except AssertionError:  # the command went out before the page had connected to the kernel: once more
            run(page, "notebook:run-all-cells")
            check_until(120, live)
        area.scroll_into_view_if_needed()
        ARTIFACTS.mkdir(exist_ok=True)
        area.screenshot(path=str(ARTIFACTS / "returning_learner_1_live.png"))

        # Save, as autosave does; the saved file keeps the explorer as a still picture.
        run(page, "docmanager:save")
        saved = lab.root / "notebooks" / NOTEBOOK

        def saved_still():
            nb = json.loads(saved.read_text())
            outputs = [o for c in nb["cells"] if "neuron_explorer(" in "".join(c["source"]) for o in c["outputs"]]
            assert [o.get("text") for o in outputs if o["output_type"] == "stream"] == [[RUN_LINE]], outputs[:1]
            assert nb["metadata"]["widgets"], "no widget state was saved"

        check_until(60, saved_still)

        # Restart the kernel, reload the page, open the notebook again.
        for session in lab.api("/api/sessions"):
            lab.api(f"/api/kernels/{session['kernel']['id']}/restart", method="POST")
        page.reload(wait_until="domcontentloaded", timeout=60_000)
        page.wait_for_function("window.jupyterapp && window.jupyterapp.started", timeout=60_000)
        page.evaluate("() => window.jupyterapp.restored")
        panel = open_notebook(lab, NOTEBOOK)
        dismiss_kernel_dialog(page)
        area = explorer_area(panel)

        def still():
            text = area.inner_text()
            for message in WIDGET_ERRORS + ["Loading widget"]:
                assert message not in text, f"after the reload the explorer shows {message!r}"
            assert RUN_LINE.strip() in text, "after the reload the learner is not told to run the cell"
            image = area.locator("img").first
            assert image.evaluate("img => img.complete && img.naturalWidth > 0"), "no picture after the reload"
            assert not area.evaluate(LIVE_CONTROLS), "controls that look live but do nothing after the reload"

        check_until(120, still)
        area.scroll_into_view_if_needed()
        area.screenshot(path=str(ARTIFACTS / "returning_learner_2_after_reload.png"))
    except BaseException:
        ARTIFACTS.mkdir(exist_ok=True)
        if getattr(lab, "page", None):
            lab.page.screenshot(path=str(ARTIFACTS / "returning_learner_failure.png"))
        raise
    finally:
        if getattr(lab, "page", None):
            lab.page.close()
        lab.close()


def assert_kernel_ready(lab, page):
    """The notebook's kernel runs (the server says so) and is idle (the page says so)."""
    kernels = [s["kernel"] for s in lab.api("/api/sessions") if s.get("kernel")]
    assert kernels and all(k.get("execution_state") == "idle" for k in kernels), f"no idle kernel yet: {kernels}"
    assert page.locator(".jp-Notebook-ExecutionIndicator[data-status='idle']").count(), "the page's kernel is busy"
