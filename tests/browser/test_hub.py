"""The instructor's path, for real: a JupyterHub class link, opened twice by a learner in headless Chromium.

What the README's "Running the course for a class" section promises, done as an instructor would:

1. The single-user environment is built by running the README's own ``bash`` block (``pip install -r
   requirements.txt -r requirements-hub.txt``, the ``course_lib @ git+...`` line, ``python
   tools/install_jupyter_settings.py``) in a throw-away venv; the proxy, configurable-http-proxy, comes from npm,
   pinned by ``tests/browser/hub_proxy/package-lock.json``. Both are cached under ``~/.cache/course-hub-test/``
   (or ``$XDG_CACHE_HOME``), keyed by the pins, so that a second run only reinstalls course_lib.
2. A bare clone of this repository (its HEAD as ``main``) stands in for the public one; the README's GitHub URL is
   replaced by its ``file://`` URL, and nothing else.
3. JupyterHub starts on 127.0.0.1 with the local-process spawner (``simple``: every learner is this OS user, with
   a home directory under the test's temporary folder) and the test authenticator (``dummy``).
4. Chromium opens the link, built by ``tools/course_map.py``'s ``nbgitpuller_url`` (which writes the README's),
   logs in as ``learner``, is taken to chapter 01 of the fresh clone, sees still pictures where the explorers
   will be (the clone is not trusted), runs every cell, and checks: every code cell ran, no error, the
   explorers are live (enabled sliders), no "Error displaying widget", no news pop-up. The learner adds a cell and
   saves.
5. The instructor pushes a new commit; the learner opens the same link again: the commit is merged into the
   clone, and the learner's saved change is still there, in the file and on the page.

Every process the test started (the hub, its proxy, the learner's server and kernels) is recorded by PID (with
its start time, so that a reused PID is never signalled) and stopped, on success and on failure.
Needs git, Node.js with npm, PyPI, and Chromium with playwright: without them it is skipped locally and fails
in CI (CI=true), like the other browser tests. Screenshots go to ``test-artifacts/hub_*.png``.
"""

import hashlib
import json
import os
import re
import secrets
import shlex
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from test_jupyterlab import CHROMIUM, CHROMIUM_ARGS, LAPTOP, WIDGET_ERRORS, free_port, require_browser
from test_opened_before_run import ARTIFACTS, RUN_LINE, check_until

pytestmark = pytest.mark.hub

ROOT = Path(__file__).resolve().parents[2]
PROXY_PINS = Path(__file__).resolve().parent / "hub_proxy"
sys.path.insert(0, str(ROOT / "tools"))
import course_map  # noqa: E402

NOTEBOOK = "notebooks/01_initialization.ipynb"
LEARNER = "learner"
NEWS = "official Jupyter news"  # JupyterLab's pop-up, turned off by binder/jupyterlab-overrides.json
CACHE = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "course-hub-test"


def require_tools():
    """Skip locally, fail in CI, when a tool the hub needs is missing."""
    require_browser()
    missing = [name for name in ("git", "node", "npm") if not shutil.which(name)]
    if missing:
        message = f"the hub test needs {', '.join(missing)} (Debian: apt-get install -y git nodejs npm)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message + "; in CI this is a failure, not a skip")
        pytest.skip(message)


def run(command, log, **kwargs):
    """Run ``command``, appending its output to ``log``; fail the test with the output's end if it fails."""
    with open(log, "a") as out:
        out.write(f"\n$ {shlex.join(map(str, command))}\n")
        out.flush()
        result = subprocess.run([str(c) for c in command], stdout=out, stderr=subprocess.STDOUT, timeout=1800,
                                check=False, **kwargs)
    if result.returncode:
        pytest.fail(f"{shlex.join(map(str, command))} failed ({result.returncode}):\n{log.read_text()[-4000:]}")


def readme_commands():
    """The lines of the ``bash`` block in the README's JupyterHub section: what an instructor runs."""
    text = (ROOT / "README.md").read_text()
    section = text[text.index("## Running the course for a class"):]
    block = re.search(r"```bash\n(.*?)```", section, re.S).group(1)
    return [shlex.split(line) for line in block.splitlines() if line.strip()]


def pins_key():
    digest = hashlib.sha256(sys.version.encode())
    for path in [ROOT / "requirements.txt", ROOT / "requirements-hub.txt", PROXY_PINS / "package-lock.json"]:
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def cached(folder, build):
    """``folder``, built by ``build(folder)`` unless a complete build is there; a half-built one is rebuilt."""
    done = folder / ".complete"
    if not done.exists():
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        build(folder)
        done.write_text(time.strftime("%Y-%m-%d %H:%M:%S\n"))
    return folder


def single_user_environment(commands, bare_url, log):
    """A venv with what the README's block installs; its pinned part cached, course_lib from ``bare_url`` fresh."""
    def in_venv(venv, command, only_pins=False):
        program, *args = command
        args = [a.replace(course_map.repository_url(), bare_url) for a in args]
        if only_pins and any(bare_url in a for a in args):
            return  # course_lib is installed afresh on every run, below
        if only_pins and program != "pip":
            return
        executable = {"pip": [venv / "bin" / "python", "-m", "pip"], "python": [venv / "bin" / "python"]}[program]
        run([*executable, *args], log, cwd=ROOT)

    def build(venv):
        run([sys.executable, "-m", "venv", venv], log)
        # A current pip, as `make setup` uses (Python 3.11's bundled pip 23 rejects a git+file:// requirement).
        run([venv / "bin" / "python", "-m", "pip", "install", "--quiet", "--upgrade", "pip"], log)
        for command in commands:
            in_venv(venv, command, only_pins=True)

    venv = cached(CACHE / f"venv-{pins_key()}", build)
    run([venv / "bin" / "python", "-m", "pip", "uninstall", "--yes", "course_lib"], log)
    for command in commands:  # the whole block, as written: the pins are satisfied, course_lib is new
        in_venv(venv, command)
    return venv


def proxy_command(log):
    def build(folder):
        for name in ["package.json", "package-lock.json"]:
            shutil.copy(PROXY_PINS / name, folder / name)
        run(["npm", "ci", "--no-audit", "--no-fund"], log, cwd=folder)

    folder = cached(CACHE / f"proxy-{pins_key()}", build)
    return folder / "node_modules" / ".bin" / "configurable-http-proxy"


def git(*args, log, cwd=None):
    run(["git", "-c", "user.name=Instructor", "-c", "user.email=instructor@example.org", *args], log, cwd=cwd)


# -- the processes the test starts, by PID -----------------------------------------------------------------------

def process_table():
    """{pid: (parent pid, start time)} of every process, from /proc."""
    table = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        fields = text[text.rindex(")") + 2:].split()
        table[int(stat.parent.name)] = (int(fields[1]), int(fields[19]))
    return table


def command_name(pid):
    """A short name for a recorded process: its program and, for Python, its script or module."""
    try:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return f"{pid} (ended)"
    words = [Path(a.decode()).name for a in argv if a and not a.startswith(b"-")][:2]
    return f"{pid} {' '.join(words)}"


class Processes:
    """The hub and everything it starts, recorded by (PID, start time) whenever ``record`` is called."""

    def __init__(self, root):
        self.root = root
        self.seen = {}  # pid -> start time
        self.names = {}  # pid -> what it runs, for the report

    def record(self):
        table = process_table()
        if self.root.pid in table and self.root.pid not in self.seen:
            self.seen[self.root.pid] = table[self.root.pid][1]
            self.names[self.root.pid] = command_name(self.root.pid)
        frontier = [self.root.pid]
        while frontier:  # every descendant alive now
            parent = frontier.pop()
            for pid, (ppid, start) in table.items():
                if ppid == parent:
                    frontier.append(pid)
                    if self.seen.get(pid) != start:
                        self.seen[pid] = start
                        self.names[pid] = command_name(pid)

    def alive(self):
        table = process_table()
        return [pid for pid, start in self.seen.items() if pid in table and table[pid][1] == start]

    def stop(self):
        """SIGTERM the hub (it stops its servers and proxy), then every recorded process left; SIGKILL after 20 s."""
        self.record()
        for pids in ([self.root.pid], self.alive()):
            for pid in pids:
                if pid in self.alive():
                    os.kill(pid, signal.SIGTERM)
            deadline = time.monotonic() + 20
            while any(pid in self.alive() for pid in pids) and time.monotonic() < deadline:
                self.root.poll()
                time.sleep(0.2)
        for pid in self.alive():
            os.kill(pid, signal.SIGKILL)
        self.root.poll()
        time.sleep(0.5)
        return self.alive()


# -- the hub ------------------------------------------------------------------------------------------------------

HUB_CONFIG = """\
c = get_config()  # noqa
c.JupyterHub.bind_url = {bind_url!r}
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = {hub_port}
c.ConfigurableHTTPProxy.api_url = {proxy_api!r}
c.ConfigurableHTTPProxy.command = [{proxy!r}]
c.ConfigurableHTTPProxy.pid_file = {proxy_pid!r}
c.JupyterHub.db_url = {db_url!r}
c.JupyterHub.cookie_secret_file = {cookie_secret!r}
c.JupyterHub.pid_file = {hub_pid!r}
c.JupyterHub.authenticator_class = "dummy"       # the test authenticator: any password
c.Authenticator.allowed_users = {{{learner!r}}}
c.JupyterHub.spawner_class = "simple"            # local processes, all as this OS user, each in its own home
c.SimpleLocalProcessSpawner.home_dir_template = {homes!r} + "/{{username}}"
c.Spawner.cmd = [{singleuser!r}]
c.Spawner.args = {args!r}
c.Spawner.ip = "127.0.0.1"
c.Spawner.environment = {environment!r}
c.Spawner.start_timeout = 180
c.Spawner.http_timeout = 180
"""


@pytest.fixture
def hub(tmp_path):
    """A running hub over a bare clone of this repository: yields a namespace of what the test needs."""
    require_tools()
    log = tmp_path / "setup.log"
    remote = tmp_path / "remote" / course_map.repository_url().split("/")[-1]  # named as the public repository
    git("init", "--quiet", "--bare", remote, log=log)
    git("push", "--quiet", remote, "HEAD:refs/heads/main", log=log, cwd=ROOT)
    git("symbolic-ref", "HEAD", "refs/heads/main", log=log, cwd=remote)
    bare_url = remote.as_uri()
    started = time.monotonic()
    venv = single_user_environment(readme_commands(), bare_url, log)
    proxy = proxy_command(log)
    setup_seconds = time.monotonic() - started

    homes, state = tmp_path / "home", tmp_path / "hub"
    homes.mkdir()
    state.mkdir()
    port = free_port()
    args = ["--LabApp.expose_app_in_browser=True"]  # window.jupyterapp, to run the cells and read the notebook
    if os.getuid() == 0:
        args.append("--allow-root")
    environment = {key: os.environ[key] for key in ["COURSE_DATA_DIR"] if key in os.environ}
    config = state / "jupyterhub_config.py"
    config.write_text(HUB_CONFIG.format(
        bind_url=f"http://127.0.0.1:{port}", hub_port=free_port(), proxy_api=f"http://127.0.0.1:{free_port()}",
        proxy=str(proxy), proxy_pid=str(state / "proxy.pid"), db_url=f"sqlite:///{state / 'jupyterhub.sqlite'}",
        cookie_secret=str(state / "cookie_secret"), hub_pid=str(state / "hub.pid"), learner=LEARNER,
        homes=str(homes), singleuser=str(venv / "bin" / "jupyterhub-singleuser"), args=args,
        environment=environment))
    env = dict(os.environ, PATH=f"{venv / 'bin'}{os.pathsep}{os.environ['PATH']}")
    env.pop("VIRTUAL_ENV", None)
    hub_log = state / "hub.log"
    with open(hub_log, "w") as out:
        process = subprocess.Popen([venv / "bin" / "jupyterhub", "-f", config], cwd=state, env=env, stdout=out,
                                   stderr=subprocess.STDOUT, start_new_session=True)
    processes = Processes(process)
    base = f"http://127.0.0.1:{port}"

    class Hub:
        pass

    hub = Hub()
    hub.base, hub.remote, hub.home, hub.log, hub.setup_log = base, remote, homes / LEARNER, hub_log, log
    hub.bare_url, hub.processes, hub.setup_seconds = bare_url, processes, setup_seconds
    try:
        def answers():
            processes.record()
            assert process.poll() is None, f"the hub exited ({process.returncode}):\n{hub_log.read_text()[-4000:]}"
            try:
                with urllib.request.urlopen(f"{base}/hub/api", timeout=5) as response:
                    assert json.load(response)["version"] == "6.1.1"
            except OSError as error:
                raise AssertionError(f"the hub does not answer yet: {error}") from None

        check_until(120, answers)
        yield hub
    finally:
        left = processes.stop()
        names = sorted(processes.names.values())
        print(f"hub test: set-up {setup_seconds:.0f} s; stopped {len(names)} processes by PID: {', '.join(names)}")
        assert not left, f"processes the hub test started are still running: {left}"


# -- the learner's browser ---------------------------------------------------------------------------------------

NOTEBOOK_STATE = """() => {
    const panel = window.jupyterapp.shell.currentWidget;
    if (!panel || !panel.content || !panel.content.model) return null;
    const model = panel.content.model, cells = [];
    for (let i = 0; i < model.cells.length; i++) {
        const cell = model.cells.get(i), errors = [];
        if (cell.type === 'code') {
            for (let j = 0; j < cell.outputs.length; j++) {
                const output = cell.outputs.get(j).toJSON();
                if (output.output_type === 'error') errors.push(output.ename + ': ' + output.evalue);
            }
        }
        cells.push({type: cell.type, count: cell.type === 'code' ? cell.executionCount : null, errors,
                    source: cell.sharedModel.getSource()});
    }
    return {path: panel.context.path, cells};
}"""
ENABLED_SLIDERS = """panel => [...panel.querySelectorAll('.widget-slider input, .widget-slider .noUi-target')]
    .filter(e => !(e.disabled || e.hasAttribute('disabled'))).length"""


def open_link(page, link):
    """Go to the class link and log in if the hub asks; return when JupyterLab shows the notebook."""
    page.goto(link, wait_until="domcontentloaded", timeout=120_000)
    if page.locator("#username_input").count():
        page.fill("#username_input", LEARNER)
        page.fill("#password_input", "any password: the test authenticator")
        page.click("#login_submit")
    page.wait_for_url(re.compile(rf"/user/{LEARNER}/lab/"), timeout=300_000)  # spawn, clone or merge, redirect
    page.wait_for_function("window.jupyterapp && window.jupyterapp.started", timeout=120_000)
    page.evaluate("() => window.jupyterapp.restored")
    panel = page.locator(".jp-NotebookPanel:visible")
    panel.locator(".jp-Cell").first.wait_for(timeout=120_000)
    return panel


def test_the_class_link_clones_runs_chapter_01_and_a_second_visit_keeps_the_learners_work(hub):
    from playwright.sync_api import sync_playwright

    repo_name = hub.remote.name
    link = course_map.nbgitpuller_url(hub.bare_url, hub=hub.base, notebook=NOTEBOOK)
    assert f"lab%2Ftree%2F{repo_name}%2Fnotebooks%2F01_initialization.ipynb" in link, link
    clone = hub.home / repo_name
    marker = f"My answer, saved by the learner ({secrets.token_hex(4)})"
    timings = {}
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        page = browser.new_page(viewport=LAPTOP)
        try:
            # First visit: log in, clone, open chapter 01.
            started = time.monotonic()
            panel = open_link(page, link)
            hub.processes.record()
            timings["first visit"] = time.monotonic() - started
            assert (clone / NOTEBOOK).exists(), f"nbgitpuller did not clone into {clone}"
            state = page.evaluate(NOTEBOOK_STATE)
            assert state["path"] == f"{repo_name}/{NOTEBOOK}", state["path"]
            # Untrusted, as cloned: the explorers are still pictures, with the line that says to run the cell.
            check_until(60, lambda: _assert(RUN_LINE.strip() in text_of(panel), "no still picture before run"))

            # Run every cell.
            started = time.monotonic()
            page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")

            def all_ran():
                hub.processes.record()
                cells = page.evaluate(NOTEBOOK_STATE)["cells"]
                code = [c for c in cells if c["type"] == "code"]
                errors = [e for c in code for e in c["errors"]]
                assert not errors, f"chapter 01 raised: {errors}"
                assert all(c["count"] for c in code), f"{sum(not c['count'] for c in code)} code cells have not run"
                assert page.locator(".jp-Notebook-ExecutionIndicator[data-status='idle']").count(), "kernel busy"

            try:
                check_until(60, all_ran)
            except AssertionError:  # the command went out before the kernel had connected: once more
                page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
                check_until(240, all_ran)
            timings["run all"] = time.monotonic() - started

            def live():
                text = text_of(page.locator("body"))
                for message in WIDGET_ERRORS + [NEWS]:
                    assert message not in text, f"the page shows {message!r}"
                assert panel.locator(".widget-slider").count(), "no explorer is drawn"
                assert panel.evaluate(ENABLED_SLIDERS), "the explorers' sliders are not live"

            check_until(60, live)
            page.screenshot(path=str(ARTIFACTS / "hub_1_first_visit_after_run.png"))

            # The learner adds a cell and saves.
            page.evaluate("""marker => {
                const model = window.jupyterapp.shell.currentWidget.content.model;
                model.sharedModel.insertCell(model.cells.length, {cell_type: 'markdown', source: marker});
                window.jupyterapp.commands.execute('docmanager:save');
            }""", marker)
            saved = clone / NOTEBOOK
            check_until(60, lambda: _assert(marker in saved.read_text(), "the learner's save is not on disk"))

            # The instructor pushes a new commit.
            instructor = hub.remote.parent / "instructor"
            git("clone", "--quiet", hub.remote, instructor, log=hub.setup_log)
            update = "\nUpdated for this week's class.\n"
            with open(instructor / "README.md", "a") as readme:
                readme.write(update)
            git("commit", "--quiet", "-am", "Update for the class", log=hub.setup_log, cwd=instructor)
            git("push", "--quiet", "origin", "main", log=hub.setup_log, cwd=instructor)
            new_commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=instructor, capture_output=True, text=True,
                                        check=True).stdout.strip()

            # Second visit: the same link merges the commit and keeps the learner's work.
            started = time.monotonic()
            panel = open_link(page, link)
            hub.processes.record()
            timings["second visit"] = time.monotonic() - started
            history = subprocess.run(["git", "log", "--format=%H"], cwd=clone, capture_output=True, text=True,
                                     check=True).stdout.split()
            assert new_commit in history, "the second visit did not merge the instructor's new commit"
            assert (clone / "README.md").read_text().endswith(update), "the new commit's change is not in the clone"
            assert marker in (clone / NOTEBOOK).read_text(), "the merge lost the learner's saved cell"
            check_until(60, lambda: _assert(marker in text_of(panel), "the reopened notebook lacks the learner's cell"))
            assert NEWS not in text_of(page.locator("body")), "the news pop-up is shown"
            page.screenshot(path=str(ARTIFACTS / "hub_2_second_visit.png"))
        except BaseException:
            page.screenshot(path=str(ARTIFACTS / "hub_failure.png"))
            print(f"hub log:\n{hub.log.read_text()[-4000:]}")
            raise
        finally:
            browser.close()
    print(f"hub test: set-up {hub.setup_seconds:.0f} s, " + ", ".join(f"{k} {v:.0f} s" for k, v in timings.items()))


def text_of(locator):
    """All the text in the element, also of cells JupyterLab has not painted (it renders far cells lazily)."""
    return locator.evaluate("element => element.textContent")


def _assert(condition, message):
    assert condition, message
