"""Real-browser test: every notebook, opened in JupyterLab BEFORE it is run, shows its stored results.

A learner who opens a chapter sees what the notebook stores: every code cell's outputs, and for a widget cell
either the widget itself or a still picture of it, never "Error displaying widget" / "model not found" / the
widget's repr. JupyterLab 4 with jupyterlab_widgets 3 draws a stored widget (from the saved state in
``metadata.widgets``) only in a TRUSTED notebook with a RUNNING kernel: untrusted outputs are rendered with
"safe" mime types only, and without a kernel the widget manager never loads the saved state (it stays at
"Loading widget...", ipywidgets issue #3773). Hence two ways of opening each notebook, one server each:

* ``trusted``: as after ``make lab`` or on Binder, which trust the course's notebooks and start the kernel on
  opening (binder/jupyterlab-overrides.json): each widget output renders from the saved state, without any cell
  being run, as plainly a picture: its plot, its controls disabled (tools/widget_fallback.py disables them in the
  saved state: nothing is behind them until the cell runs), and the line that says to run the cell. The first
  widget of each chapter is dragged: nothing moves, and the learner is told what to do.
* ``untrusted``: as in a JupyterHub, a hand-made install or after "No Kernel": no kernel is started (the server
  offers none; the "Select Kernel" dialog is answered with "No Kernel"), and each widget output must show its
  still picture (``image/png`` added by tools/widget_fallback.py) instead of its repr, after the same line.

In both, every code cell with stored outputs renders them. The notebooks are copied to a temporary directory
(the test never writes to notebooks/) and are discovered when the tests are collected, so new chapters are
covered. One browser page per server opens the notebooks one after the other (no page reload).
The page is a laptop's 1280 x 800. A screenshot of each chapter's first widget, as a learner sees it before running
it, is kept in ``test-artifacts/`` (``before_run_{mode}_{chapter}.png``), and one of the page on a failure.
Needs Debian's Chromium at /usr/bin/chromium and playwright, like test_jupyterlab.py (skipped locally, failed
in CI, without them).
"""

import json
import os
import secrets
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from test_jupyterlab import (
    CHROMIUM,
    CHROMIUM_ARGS,
    LAPTOP,
    WIDGET_ERRORS,
    free_port,
    require_browser,
    wait_for_server,
)

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
ARTIFACTS = ROOT / "test-artifacts"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
BIN = Path(sys.executable).parent
sys.path.insert(0, str(ROOT / "tools"))
from widget_fallback import RUN_LINE  # noqa: E402


def expected_outputs(cell):
    """The output areas JupyterLab shows for a stored cell: consecutive stream outputs of one name merge."""
    shown = []
    for output in cell.get("outputs", []):
        previous = shown[-1] if shown else None
        if (output["output_type"] == "stream" and previous and previous["output_type"] == "stream"
                and previous["name"] == output["name"]):
            continue
        shown.append(output)
    return shown


def write_settings(settings, *, start_kernel):
    """Fresh user settings: every cell rendered (no virtual scrolling), no news fetched from the internet."""
    tracker = settings / "@jupyterlab" / "notebook-extension" / "tracker.jupyterlab-settings"
    tracker.parent.mkdir(parents=True)
    tracker.write_text(json.dumps({"windowingMode": "none", "autoStartDefaultKernel": start_kernel}))
    news = settings / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings"
    news.parent.mkdir(parents=True)
    news.write_text(json.dumps({"fetchNews": "false", "checkForUpdates": False}))


class Lab:
    """A JupyterLab server over a copy of notebooks/, and one browser page on it."""

    def __init__(self, home, trusted):
        self.trusted = trusted
        self.root = home / "root"
        shutil.copytree(ROOT / "notebooks", self.root / "notebooks", ignore=shutil.ignore_patterns(".*"))
        data = home / "data"  # the signature database: trusted notebooks are signed in it, as `make lab` does
        self.env = dict(os.environ, JUPYTER_CONFIG_DIR=str(home / "config"), JUPYTER_DATA_DIR=str(data),
                        JUPYTER_RUNTIME_DIR=str(home / "runtime"))
        if trusted:
            subprocess.run([str(BIN / "jupyter"), "trust", *map(str, (self.root / "notebooks").glob("*.ipynb"))],
                           check=True, capture_output=True, env=self.env, timeout=120)
        write_settings(home / "settings", start_kernel=trusted)
        self.port, self.token = free_port(), secrets.token_hex(16)
        command = [str(BIN / "jupyter-lab"), "--no-browser", "--ip=127.0.0.1", f"--port={self.port}", "--allow-root",
                   f"--IdentityProvider.token={self.token}", f"--ServerApp.root_dir={self.root}",
                   f"--LabApp.user_settings_dir={home / 'settings'}", f"--LabApp.workspaces_dir={home / 'ws'}",
                   "--LabApp.expose_app_in_browser=True"]  # window.jupyterapp: open notebooks without reloading
        if not trusted:
            command.append('--KernelSpecManager.allowed_kernelspecs=["no-kernel-here"]')  # no kernel can start
        self.log = home / "server.log"
        with open(self.log, "w") as log:
            self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=self.env, cwd=home)
        self.base = f"http://127.0.0.1:{self.port}"
        wait_for_server(f"{self.base}/api/status?token={self.token}", self.process, self.log)

    def api(self, path, method="GET"):
        request = urllib.request.Request(f"{self.base}{path}?token={self.token}", method=method)
        with urllib.request.urlopen(request, timeout=10) as response:
            body = response.read()
        return json.loads(body) if body else None

    def open_page(self, browser):
        self.page = browser.new_page(viewport=LAPTOP)
        self.page.goto(f"{self.base}/lab?reset&token={self.token}", wait_until="domcontentloaded", timeout=60_000)
        self.page.wait_for_function("window.jupyterapp && window.jupyterapp.started", timeout=60_000)
        self.page.evaluate("() => window.jupyterapp.restored")

    def close(self):
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()


@pytest.fixture(scope="module")
def browser():
    require_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def labs(tmp_path_factory, browser):
    """{"trusted": Lab, "untrusted": Lab}, each started when first asked for."""
    started = {}

    def get(mode):
        if mode not in started:
            lab = Lab(tmp_path_factory.mktemp(f"lab-{mode}"), trusted=mode == "trusted")
            started[mode] = lab
            lab.open_page(browser)
        return started[mode]

    yield get
    for lab in started.values():
        lab.page.close()
        lab.close()


def open_notebook(lab, name):
    """Open notebooks/NAME in the running JupyterLab page; answer a kernel dialog with "No Kernel"."""
    page = lab.page
    # (the command's result, the notebook's widget, stays in the page: it cannot be sent back to Python)
    page.evaluate("path => { window.jupyterapp.commands.execute('docmanager:open', {path, factory: 'Notebook'}); }",
                  f"notebooks/{name}")
    panel = page.locator(".jp-NotebookPanel:visible")
    panel.locator(".jp-Cell").first.wait_for(timeout=60_000)
    return panel


def dismiss_kernel_dialog(page):
    dialog = page.locator(".jp-Dialog")
    if dialog.count():
        dialog.locator("button", has_text="No Kernel").first.click()


def close_all(lab):
    lab.page.keyboard.press("Escape")
    lab.page.evaluate("() => { window.jupyterapp.commands.execute('application:close-all'); }")
    # A notebook whose widget state changed since it was loaded (saveState) asks whether to save it: the test's
    # copies need not be saved.
    discard = lab.page.locator(".jp-Dialog button", has_text="Discard")
    try:
        discard.first.click(timeout=1_500)
    except Exception:  # noqa: BLE001 - no dialog: nothing to discard
        pass
    for session in lab.api("/api/sessions"):  # closing does not stop a kernel: stop it, to keep memory low
        lab.api(f"/api/sessions/{session['id']}", method="DELETE")


def check_until(timeout, check):
    """Call ``check`` (which asserts) until it passes or ``timeout`` seconds passed; then let it raise."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return check()
        except AssertionError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


def check_notebook(lab, panel, nb, name):
    cells = nb["cells"]
    page = lab.page
    code_cells = [c for c in cells if c["cell_type"] == "code"]

    def all_cells_shown():
        assert panel.locator(".jp-Cell").count() == len(cells), "not every cell is shown"
        assert panel.locator(".jp-CodeCell").count() == len(code_cells)

    check_until(60, all_cells_shown)
    rendered = panel.locator(".jp-CodeCell")

    def widgets_shown():
        for index, cell in enumerate(code_cells):
            if any(WIDGET_VIEW in o.get("data", {}) for o in cell["outputs"]):
                area = rendered.nth(index).locator(".jp-OutputArea")
                text = area.inner_text()
                assert "Loading widget" not in text, f"code cell {index + 1}: the widget is still loading"
                assert RUN_LINE.strip() in text, f"code cell {index + 1}: the learner is not told to run the cell"
                if lab.trusted:
                    assert area.locator(".jupyter-widgets").count(), f"code cell {index + 1}: no widget drawn"
                    assert area.locator(".widget-slider").count(), f"code cell {index + 1}: the widget has no slider"
                    live = area.evaluate(LIVE_CONTROLS)
                    assert not live, f"code cell {index + 1}: controls that look live but do nothing: {live}"
                else:
                    assert area.locator(".jp-OutputArea-output[data-mime-type='image/png'] img").count(), (
                        f"code cell {index + 1}: no still picture of the widget")
                    assert "children=" not in text, f"code cell {index + 1} shows the widget's repr: {text[:200]}"
                for image in area.locator("img").all():  # the plot is there and decoded
                    assert image.evaluate("img => img.complete && img.naturalWidth > 0"), "an image did not load"
                    box = image.bounding_box()
                    assert box and box["width"] > 100 and box["height"] > 50, f"the plot is not visible: {box}"

    dismiss_kernel_dialog(page)
    # (a trusted notebook draws its widgets once its kernel is up: seconds, but a minute on a busy machine)
    check_until(120, widgets_shown)

    # One round trip for all cells: per code cell, the height of each output area JupyterLab drew.
    heights = panel.evaluate("""panel => [...panel.querySelectorAll('.jp-CodeCell')].map(cell =>
        [...cell.querySelectorAll('.jp-OutputArea-output')].map(o => o.getBoundingClientRect().height))""")
    for index, cell in enumerate(code_cells):
        shown = expected_outputs(cell)
        assert len(heights[index]) == len(shown), (
            f"code cell {index + 1} stores {len(shown)} output(s) but shows {len(heights[index])}")
        assert all(h > 0 for h in heights[index]), f"code cell {index + 1}: an output is empty: {heights[index]}"

    text = panel.inner_text()
    for message in WIDGET_ERRORS:
        assert message not in text, f"a widget failed to render: {message!r}"

    first = next(i for i, c in enumerate(code_cells) if any(WIDGET_VIEW in o.get("data", {}) for o in c["outputs"]))
    area = rendered.nth(first).locator(".jp-OutputArea")
    area.scroll_into_view_if_needed()
    if lab.trusted:
        drag_first_slider(page, area)
    ARTIFACTS.mkdir(exist_ok=True)
    area.screenshot(path=str(ARTIFACTS / f"before_run_{'trusted' if lab.trusted else 'untrusted'}_{name}.png"))


# The controls of a widget view that a learner could use: enabled inputs, selects, buttons and sliders.
LIVE_CONTROLS = """area => [...area.querySelectorAll('input, select, button, .noUi-target')]
    .filter(e => !(e.disabled || e.hasAttribute('disabled') || e.closest('[disabled]')))
    .map(e => e.outerHTML.slice(0, 80))"""


def drag_first_slider(page, area):
    """Drag the first slider's handle as a learner would: nothing may change, and the run line stays in view."""
    handle = area.locator(".noUi-handle").first
    image = area.locator(".jupyter-widgets img").first
    before = image.get_attribute("src"), area.locator(".widget-readout").first.inner_text()
    box = handle.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.down()
    page.mouse.move(box["x"] + 120, box["y"] + box["height"] / 2, steps=5)
    page.mouse.up()
    page.wait_for_timeout(500)
    after = image.get_attribute("src"), area.locator(".widget-readout").first.inner_text()
    assert after == before, f"a stored slider moved: {before[1]!r} -> {after[1]!r}"
    line = area.get_by_text(RUN_LINE.strip())
    assert line.is_visible(), "the line that says to run the cell is not in view next to the slider"


@pytest.mark.parametrize("mode", ["trusted", "untrusted"])
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_opened_before_it_is_run_shows_every_stored_result(labs, mode, path):
    lab = labs(mode)
    nb = json.loads((lab.root / "notebooks" / path.name).read_text())
    panel = open_notebook(lab, path.name)
    try:
        check_notebook(lab, panel, nb, path.stem)
        if not lab.trusted:
            sessions = lab.api("/api/sessions")
            assert not [s for s in sessions if s.get("kernel")], f"a kernel was started: {sessions}"
    except BaseException:
        ARTIFACTS.mkdir(exist_ok=True)
        lab.page.screenshot(path=str(ARTIFACTS / f"opened_before_run_{mode}_{path.stem}.png"), full_page=False)
        raise
    finally:
        close_all(lab)
