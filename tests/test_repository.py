"""Checks of the repository itself: pinned requirements, Binder config, CI entry, notebook structure.

These catch what a learner would hit first: an unpinned package, a Binder image that differs from the
tested environment, a notebook stored half-executed or without its recap.
"""

import importlib
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
IGNORE_TAG = "nbval-ignore-output"  # nbval's cell tag: the cell runs, its output is not compared
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
PIN = re.compile(r"^([A-Za-z0-9_.\-\[\]]+)==([A-Za-z0-9_.+\-]+)$")


def pins(path):
    """{normalized name: version} of a requirements file; fails on any line that is not name==version."""
    result = {}
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        match = PIN.match(line)
        assert match, f"{path.name}: not pinned as name==version: {line!r}"
        result[re.sub(r"[-_.]+", "-", match.group(1)).lower()] = match.group(2)
    return result


def test_requirements_are_fully_pinned_and_agree_with_requirements_in():
    locked = pins(ROOT / "requirements.txt")
    direct = pins(ROOT / "requirements.in")
    for name, version in direct.items():
        assert locked.get(name) == version, (
            f"requirements.txt pins {name}=={locked.get(name)}, requirements.in {version}")
    for name in ["jupyterlab", "notebook", "ipywidgets", "jupyterlab-widgets", "matplotlib", "numpy", "ipykernel"]:
        assert name in direct, f"{name} is missing from requirements.in"
    assert "torch" not in locked and "scikit-learn" not in locked


@pytest.mark.parametrize("extra, names", [("dev", ["nbval", "pytest", "playwright", "ruff", "nbstripout"]),
                                          ("hub", ["jupyterhub", "nbgitpuller"])])
def test_the_test_tools_and_the_hub_packages_are_pinned_apart_from_what_learners_install(extra, names):
    """requirements.txt is a learner's environment only; requirements-EXTRA.txt adds packages, never re-pins one."""
    learner = pins(ROOT / "requirements.txt")
    locked, direct = pins(ROOT / f"requirements-{extra}.txt"), pins(ROOT / f"requirements-{extra}.in")
    assert sorted(direct) == sorted(names), f"requirements-{extra}.in: {sorted(direct)}"
    for name, version in direct.items():
        assert locked.get(name) == version, f"requirements-{extra}.txt pins {name}=={locked.get(name)}, .in {version}"
    assert not set(locked) & set(learner), f"also in requirements.txt: {sorted(set(locked) & set(learner))}"
    if extra == "dev":
        assert not {"pytest", "nbval", "playwright", "ruff", "coverage"} & set(learner), "test tools for learners"


def test_binder_installs_the_tested_environment():
    binder = ROOT / "binder"
    assert (binder / "runtime.txt").read_text().strip() == "python-3.11"
    text = (binder / "requirements.txt").read_text()
    assert not re.search(r"^\s*-[erc]\b", text, re.M), "binder/requirements.txt must not use -e, -r or -c lines"
    assert pins(binder / "requirements.txt") == pins(ROOT / "requirements.txt")
    post_build = (binder / "postBuild").read_text()
    assert "set -e" in post_build and "pip install --no-deps -e ." in post_build
    # MNIST pre-downloaded into the loader's cache after course_lib is installed (tests/test_binder.py runs it),
    # and the notebooks trusted, so that their stored widgets show before they are run.
    assert post_build.index("pip install --no-deps -e .") < post_build.index("python -m course_lib.data download")
    assert "jupyter trust notebooks/*.ipynb" in post_build
    # Learners' kernels start on opening a notebook, on Binder as with `make lab`.
    installer = (ROOT / "tools" / "install_jupyter_settings.py").read_text()  # run by postBuild and the Makefile
    assert '"jupyterlab-overrides.json": ("share", "jupyter", "lab", "settings", "overrides.json")' in installer
    overrides = json.loads((binder / "jupyterlab-overrides.json").read_text())
    assert overrides["@jupyterlab/notebook-extension:tracker"]["autoStartDefaultKernel"] is True
    # No "Would you like to get notified about official Jupyter news?" pop-up over a learner's first widget.
    notification = overrides["@jupyterlab/apputils-extension:notification"]
    assert notification == {"fetchNews": "false", "checkForUpdates": False}
    # A saved notebook keeps its explorers' state, stored still by the server's save hook (make lab and Binder).
    assert overrides["@jupyter-widgets/jupyterlab-manager:plugin"]["saveState"] is True
    hook = json.loads((binder / "jupyter_server_config.json").read_text())["ContentsManager"]["pre_save_hook"]
    module, name = hook.rsplit(".", 1)
    assert callable(getattr(importlib.import_module(module), name))
    assert "tools/install_jupyter_settings.py" in post_build
    assert "tools/install_jupyter_settings.py" in (ROOT / "Makefile").read_text()


def test_ci_and_readme_use_the_two_commands():
    ci = (ROOT / ".ci" / "run").read_text()
    assert "make test" in ci and "chromium" in ci and "COURSE_DATA_DIR" in ci
    assert re.search(r"^make test$", ci, re.M), ".ci/run runs `make test` (everything, browser and Binder included)"
    makefile = (ROOT / "Makefile").read_text()
    test_recipe = re.search(r"^test: setup\n\t(.+)$", makefile, re.M).group(1)
    assert test_recipe.strip() == "$(BIN)/python -m pytest", "make test deselects nothing"
    fast_recipe = re.search(r"^test-fast: setup\n\t(.+)$", makefile, re.M).group(1)
    assert '-m "not browser and not binder and not portability and not hub"' in fast_recipe
    assert "-m" not in re.search(r'^addopts = "(.*)"$', (ROOT / "pyproject.toml").read_text(), re.M).group(1).split()
    readme = (ROOT / "README.md").read_text()
    for command in ["make lab", "make test", "pip install -r requirements.txt", "jupyter lab", "pytest"]:
        assert command in readme, f"README does not show {command!r}"


def test_there_are_notebooks():
    names = [p.name for p in NOTEBOOKS]
    assert "00_start_here.ipynb" in names and "01_initialization.ipynb" in names


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_structure(path):
    nb = json.loads(path.read_text())
    cells = nb["cells"]
    first, last = "".join(cells[0]["source"]), "".join(cells[-1]["source"])
    assert cells[0]["cell_type"] == "markdown" and first.startswith("# "), "starts with a title"
    assert "Learning objectives" in first, "the first cell states the learning objectives"
    assert cells[-1]["cell_type"] == "markdown" and "Recap" in last, "ends with a recap"

    code = [c for c in cells if c["cell_type"] == "code"]
    sources = ["".join(c["source"]) for c in code]
    assert [c["execution_count"] for c in code] == list(range(1, len(code) + 1)), (
        "executed top to bottom in a fresh kernel (make notebooks)")
    errors = [o for c in code for o in c["outputs"] if o["output_type"] == "error"]
    assert not errors, f"stored error output: {errors[0]['ename']}"
    stderr = [o["text"] for c in code for o in c["outputs"] if o.get("name") == "stderr"]
    assert not stderr, f"stored stderr output (a warning shows local paths; nbval fails elsewhere): {stderr[0]}"

    checks = [s for s in sources if re.search(r"^check_\w+\(", s, re.M)]
    assert len(checks) >= 2, "at least two exercises with a checker"
    widgets = [s for s in sources if re.search(r"^\w+_explorer\(", s, re.M)]
    assert widgets, "at least one widget"
    widget_cells = [c for c in code if re.search(r"^\w+_explorer\(", "".join(c["source"]), re.M)]
    for cell in widget_cells:
        assert IGNORE_TAG in cell["metadata"].get("tags", []), f"widget cells carry the cell tag {IGNORE_TAG!r}"
    markdown = "".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
    assert "Myth vs measurement" in markdown, "at least one myth-vs-measurement box"
    assert any("show_source(" in s for s in sources), "library code is shown with show_source, not copied"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_ignored_outputs_are_only_widgets_or_timings(path):
    """Strict nbval everywhere else: an ignore marker must not hide a number that should be checked."""
    nb = json.loads(path.read_text())
    for cell in nb["cells"]:
        source = "".join(cell["source"])
        if cell["cell_type"] == "code" and IGNORE_TAG in cell["metadata"].get("tags", []):
            assert re.search(r"_explorer\(|time|perf_counter", source), f"unexpected ignore tag on:\n{source}"


# Words that address the test tools or a maintainer, not the learner, in a notebook's code.
TOOL_WORDS = re.compile(r"nbval|pytest|sanitize|\bnoqa\b|\bCI\b|stored output|code path", re.I)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_no_line_of_a_notebook_addresses_a_tool_or_a_maintainer(path):
    """What the tests need lives in cell metadata (nbval's cell tags), never in what a learner reads."""
    nb = json.loads(path.read_text())
    for cell in nb["cells"]:
        source = "".join(cell["source"])
        text = source if cell["cell_type"] == "markdown" else "\n".join(
            line[line.index("#"):] for line in source.splitlines() if "#" in line)  # comments only
        found = TOOL_WORDS.search(text) or re.search("NBVAL", source)
        assert not found, f"{path.name}: {found.group(0)!r} in a cell a learner reads:\n{source[:300]}"


def test_make_notebooks_keeps_the_cell_tags(tmp_path):
    """``make notebooks`` strips stray metadata with nbstripout; nbval's tags must survive it."""
    makefile = (ROOT / "Makefile").read_text()
    flags = re.search(r"^NBSTRIPOUT_FLAGS := (.*)$", makefile, re.M).group(1).split()
    copy = tmp_path / "tagged.ipynb"
    copy.write_text((ROOT / "notebooks" / "00_start_here.ipynb").read_text())
    nbstripout = Path(sys.executable).parent / "nbstripout"
    subprocess.run([str(nbstripout), *flags, str(copy)], check=True)
    tagged = [c for c in json.loads(copy.read_text())["cells"] if IGNORE_TAG in c["metadata"].get("tags", [])]
    assert tagged, "nbstripout removed the nbval-ignore-output tags"
