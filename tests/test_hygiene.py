"""Hygiene of what is committed: notebook metadata, lint, widget pictures, the course map's links, solutions.

Notebook structure (title, learning objectives, recap, execution counts 1..n, no errors) is checked in
tests/test_repository.py; this file adds what a tool verifies:
  * nbstripout --verify with the Makefile's NBSTRIPOUT_FLAGS: no stray metadata (per-cell timings, ...), while
    outputs, execution counts, cell ids and the saved widget state (metadata.widgets) stay;
  * ruff on the code, the tests and the notebooks (configuration in pyproject.toml);
  * every stored widget output refers to a model in the saved widget state and carries its still picture
    (tools/widget_fallback.py);
  * README's course map: a Binder link per existing notebook, all generated from the one repository URL in
    pyproject.toml (tools/course_map.py);
  * every exercise a notebook imports has a reference solution named after that notebook's chapter.
"""

import json
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))

import course_map  # noqa: E402
import widget_fallback  # noqa: E402

NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
BIN = Path(sys.executable).parent


def tool(name):
    path = BIN / name
    assert path.exists(), f"{name} is not installed in {BIN}: pip install -r requirements-dev.txt"
    return str(path)


def nbstripout_flags():
    match = re.search(r"^NBSTRIPOUT_FLAGS\s*:?=\s*(.+)$", (ROOT / "Makefile").read_text(), re.M)
    assert match, "the Makefile defines NBSTRIPOUT_FLAGS (used by make notebooks and by this test)"
    return shlex.split(match.group(1))


# --------------------------------------------------------------------------------------------------
# notebook metadata and execution counts
# --------------------------------------------------------------------------------------------------


def test_notebooks_carry_no_stray_metadata():
    flags = nbstripout_flags()
    result = subprocess.run([tool("nbstripout"), *flags, "--verify", *map(str, NOTEBOOKS)],
                            capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert result.returncode == 0, (
        "nbstripout would change these notebooks (stray metadata such as per-cell execution timings); run "
        f"`.venv/bin/nbstripout {' '.join(flags)} notebooks/*.ipynb` (make notebooks does):\n{result.stdout}"
        f"{result.stderr}")


def test_the_stripping_keeps_widget_state_outputs_counts_and_ids(tmp_path):
    """nbstripout removes metadata.widgets by default; the flags must keep it (widgets shown before a run)."""
    source = next(p for p in NOTEBOOKS if "widgets" in json.loads(p.read_text())["metadata"])
    copy = tmp_path / source.name
    shutil.copy(source, copy)
    subprocess.run([tool("nbstripout"), *nbstripout_flags(), str(copy)], check=True, timeout=120)
    before, after = json.loads(source.read_text()), json.loads(copy.read_text())
    assert after["metadata"]["widgets"] == before["metadata"]["widgets"]
    for old, new in zip(before["cells"], after["cells"], strict=True):
        assert (new.get("id"), new.get("outputs"), new.get("execution_count"), new["source"]) == (
            old.get("id"), old.get("outputs"), old.get("execution_count"), old["source"])


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_result_counts_match_their_cells(path):
    for index, cell in enumerate(json.loads(path.read_text())["cells"]):
        for output in cell.get("outputs", []):
            if output["output_type"] == "execute_result":
                assert output["execution_count"] == cell["execution_count"], f"cell {index}: Out[] differs from In[]"


# --------------------------------------------------------------------------------------------------
# lint
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("target", ["course_lib", "tests", "notebooks", "benchmarks", "solutions", "tools"])
def test_ruff(target):
    result = subprocess.run([tool("ruff"), "check", "--no-cache", "--output-format", "concise", target],
                            capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert result.returncode == 0, f"ruff check {target}:\n{result.stdout}{result.stderr}"


# --------------------------------------------------------------------------------------------------
# widgets seen before the notebook runs
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_stored_widgets_are_in_the_saved_state_and_have_a_still_picture(path):
    nb = json.loads(path.read_text())
    assert widget_fallback.widget_outputs(nb), "the notebook stores no widget output (run make notebooks)"
    problems = widget_fallback.problems(nb)
    assert not problems, "\n".join(problems) + "\n(make notebooks, or python tools/widget_fallback.py NOTEBOOK)"


# --------------------------------------------------------------------------------------------------
# README: the course map and its links
# --------------------------------------------------------------------------------------------------


def readme():
    return (ROOT / "README.md").read_text()


def test_readme_course_map_and_links_are_generated_from_the_repository_url():
    text = readme()
    assert course_map.update_readme(text) == text, (
        "README's course map or links disagree with pyproject.toml's [project.urls] Repository or with "
        "notebooks/: run `python tools/course_map.py --write`")


def test_every_notebook_has_a_complete_row_and_every_binder_link_opens_an_existing_notebook():
    url = course_map.repository_url()
    owner, repo = course_map.owner_and_repo(url)
    lines = readme().split("\n")
    first, end = course_map.table_bounds(lines)
    header = [c.strip() for c in lines[first].strip("|").split("|")]
    assert header[:4] == ["#", "notebook", "what it teaches", "minutes"] and header[-1] == course_map.RUN_HEADER
    rows = {}
    for line in lines[first + 2 : end]:
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        rows[cells[0]] = cells
    for path in NOTEBOOKS:
        cells = rows.get(path.name[:2])
        assert cells, f"README's course map has no row for {path.name}"
        assert f"(notebooks/{path.name})" in cells[1]
        assert cells[2] and "(coming)" not in cells[2] and "(to describe)" not in cells[2], f"{path.name}: describe it"
        assert cells[3].isdigit(), f"{path.name}: minutes to complete missing"
        assert f"https://mybinder.org/v2/gh/{owner}/{repo}/main?urlpath=lab/tree/notebooks/{path.name})" in cells[-1]
    links = re.findall(r"https://mybinder\.org/v2/gh/([^/]+)/([^/]+)/main\?urlpath=lab/tree/([^)\s]+)", readme())
    assert links, "README has no Binder link"
    for link_owner, link_repo, target in links:
        assert (link_owner, link_repo) == (owner, repo), f"a Binder link points at {link_owner}/{link_repo}"
        assert (ROOT / target).is_file(), f"a Binder link opens {target}, which does not exist"


def test_nbgitpuller_link_opens_chapter_00_of_the_clone():
    url = course_map.repository_url()
    links = re.findall(r"https://[^\s)`]*/hub/user-redirect/git-pull\?[^\s)`]+", readme())
    assert links and all(link == course_map.nbgitpuller_url(url) for link in links), links
    _, repo = course_map.owner_and_repo(url)
    from urllib.parse import parse_qs, urlsplit

    query = parse_qs(urlsplit(links[0]).query)
    assert query == {"repo": [url], "branch": ["main"], "urlpath": [f"lab/tree/{repo}/notebooks/00_start_here.ipynb"]}


def test_the_repository_url_is_written_in_one_place():
    url = course_map.repository_url()
    generated = {ROOT / "README.md"}  # its links are generated from pyproject.toml and checked above
    skip = {".git", ".venv", "__pycache__", ".pytest_cache", "test-artifacts", "build", ".ipynb_checkpoints"}
    places = []
    for path in ROOT.rglob("*"):
        parts = path.relative_to(ROOT).parts
        if skip & set(parts) or any(p.endswith(".egg-info") for p in parts) or not path.is_file() or path in generated:
            continue
        if path.suffix in {".py", ".toml", ".md", ".txt", ".cfg", ".json", ".ipynb", ".in", ""}:
            try:
                if url in path.read_text(errors="ignore"):
                    places.append(path.relative_to(ROOT))
            except OSError:
                continue
    assert places == [Path("pyproject.toml")], f"the repository URL is written in {places}; keep it in pyproject.toml"


# --------------------------------------------------------------------------------------------------
# exercises and solutions
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_every_exercise_of_a_notebook_has_its_chapters_solution(path):
    from course_lib.exercises import EXERCISES

    sources = ["".join(c["source"]) for c in json.loads(path.read_text())["cells"] if c["cell_type"] == "code"]
    imported = set()
    for source in sources:
        for names in re.findall(r"^from course_lib\.exercises import (\([^)]*\)|[^\n]+)", source, re.M):
            names = re.sub(r"#[^\n]*", "", names).strip("()")
            imported |= {n.strip() for n in names.split(",") if n.strip().startswith("check_")}
    assert imported, "the notebook imports no exercise checker"
    chapter = path.name[:2]
    for check in sorted(imported):
        name = check.removeprefix("check_")
        assert name in EXERCISES, f"{check} is not an exercise of course_lib.exercises.EXERCISES"
        assert (ROOT / "solutions" / f"{chapter}_{name}.py").is_file(), f"solutions/{chapter}_{name}.py is missing"
        assert any(re.search(rf"^{check}\(", s, re.M) for s in sources), f"{check} is imported but never called"
    # and the other way round: the chapter's solutions belong to exercises this notebook uses
    for solution in (ROOT / "solutions").glob(f"{chapter}_*.py"):
        assert f"check_{solution.stem[3:]}" in imported, f"{solution.name} is for an exercise {path.name} lacks"
