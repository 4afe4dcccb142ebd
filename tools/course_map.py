"""Keep README.md's course map and launch links in step with the notebooks and the repository URL.

The public repository URL is defined in ONE place: ``[project.urls] Repository`` in pyproject.toml.
Everything in README.md that points at it is generated from it here:

* the course-map table's last column: a Binder badge per notebook that opens that notebook in JupyterLab
  (``https://mybinder.org/v2/gh/OWNER/REPO/BRANCH?urlpath=lab/tree/notebooks/NN_name.ipynb``);
* the example nbgitpuller link for a JupyterHub
  (``https://HUB/hub/user-redirect/git-pull?repo=...&branch=BRANCH&urlpath=lab/tree/REPO/notebooks/...``);
* the ``pip install "course_lib @ git+URL@BRANCH"`` line for a hub's image.

The chapter, "what it teaches" and "minutes" cells are written by hand and left alone. A notebook in
notebooks/ without a row gets one (title from the notebook's first heading, the rest to fill in); a
row whose notebook does not exist yet gets no Binder link.

    python tools/course_map.py           # print what would change (exit 1 if README.md is out of date)
    python tools/course_map.py --write   # rewrite README.md
"""

import argparse
import difflib
import json
import re
import sys
import tomllib
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BRANCH = "main"
HUB = "https://HUB"  # placeholder in the README's example: the instructor's JupyterHub
BINDER_BADGE = "https://mybinder.org/badge_logo.svg"
RUN_HEADER = "run it"
START = "notebooks/00_start_here.ipynb"
NOTEBOOK_LINK = re.compile(r"\]\((notebooks/(\d\d)_[^)]+\.ipynb)\)")
GIT_PULL = re.compile(r"https://[^\s)`\"']*/hub/user-redirect/git-pull\?[^\s)`\"']*")
PIP_FROM_GIT = re.compile(r"git\+https://github\.com/[\w.-]+/[\w.-]+?(?=@)")


def repository_url(root=ROOT):
    """The public repository URL, from ``[project.urls] Repository`` in pyproject.toml."""
    project = tomllib.loads((root / "pyproject.toml").read_text())["project"]
    url = project["urls"]["Repository"].rstrip("/")
    if not re.fullmatch(r"https://github\.com/[\w.-]+/[\w.-]+", url):
        raise ValueError(f"[project.urls] Repository must be https://github.com/OWNER/REPO, got {url!r}")
    return url


def owner_and_repo(url):
    owner, repo = url.removeprefix("https://github.com/").split("/")
    return owner, repo.removesuffix(".git")


def binder_url(notebook, url):
    """A mybinder.org link that builds the repository and opens ``notebook`` (a repo-relative path) in JupyterLab."""
    owner, repo = owner_and_repo(url)
    return f"https://mybinder.org/v2/gh/{owner}/{repo}/{BRANCH}?urlpath=lab/tree/{notebook}"


def nbgitpuller_url(url, hub=HUB, notebook=START):
    """An nbgitpuller link: the hub clones (or updates) the repository into ~/REPO, then opens ``notebook``.

    REPO is the last part of ``url``, as nbgitpuller names the clone (it keeps a ``.git`` suffix). tests/browser/
    test_hub.py opens a link built here, with a local bare repository as ``url``, on a real JupyterHub.
    """
    repo = url.rstrip("/").split("/")[-1]
    query = urllib.parse.urlencode(
        {"repo": url, "branch": BRANCH, "urlpath": f"lab/tree/{repo}/{notebook}"}, safe="", quote_via=urllib.parse.quote
    )
    return f"{hub}/hub/user-redirect/git-pull?{query}"


def notebooks(root=ROOT):
    """{"NN": "notebooks/NN_name.ipynb"} of the chapters that exist."""
    return {p.name[:2]: f"notebooks/{p.name}" for p in sorted((root / "notebooks").glob("[0-9][0-9]_*.ipynb"))}


def notebook_title(path):
    """The notebook's first heading without the "NN · " prefix, e.g. "Initialization"."""
    cell = json.loads(path.read_text())["cells"][0]
    first = "".join(cell["source"]).splitlines()[0].lstrip("#").strip()
    title = re.sub(r"^\d\d\s*[·:.-]\s*", "", first)
    return re.split(r"\s*[:—]\s*", title, maxsplit=1)[0] or first


def badge(notebook, url):
    return f"[![Binder]({BINDER_BADGE})]({binder_url(notebook, url)})"


def _cells(line):
    return [c.strip() for c in line.strip().strip("|").split("|")]


def _row(cells):
    return "|" + "|".join(f" {c} " if c else " " for c in cells) + "|"


def table_bounds(lines):
    """(first, end) line indices of the course-map table: the first table under "## Course map"."""
    section = next(i for i, line in enumerate(lines) if line.strip() == "## Course map")
    first = next(i for i in range(section, len(lines)) if lines[i].startswith("| # |"))
    end = first
    while end < len(lines) and lines[end].startswith("|"):
        end += 1
    return first, end


def update_readme(text, root=ROOT):
    """README.md's text with the course map's Binder column and the nbgitpuller example regenerated."""
    url = repository_url(root)
    existing = notebooks(root)
    lines = text.split("\n")
    first, end = table_bounds(lines)
    header = _cells(lines[first])
    has_run = header[-1] == RUN_HEADER
    width = len(header) + (0 if has_run else 1)
    rows, seen = [_row(header if has_run else [*header, RUN_HEADER]), "|" + "---|" * width], set()
    for line in lines[first + 2 : end]:
        cells = _cells(line)
        cells = cells if has_run else [*cells, ""]
        cells += [""] * (width - len(cells))
        number = cells[0]
        seen.add(number)
        linked = NOTEBOOK_LINK.search(cells[1])
        notebook = linked.group(1) if linked else existing.get(number)
        if notebook in existing.values():
            if not linked:  # the chapter's notebook now exists: link it from the notebook column
                cells[1] = f"[{notebook_title(root / notebook)}]({notebook})"
            cells[-1] = badge(notebook, url)
        else:
            cells[-1] = ""
        rows.append(_row(cells))
    for number, notebook in existing.items():  # a notebook without a row: add one to fill in
        if number not in seen:
            title = notebook_title(root / notebook)
            row = [number, f"[{title}]({notebook})", "*(to describe)*", ""] + [""] * (width - 5)
            rows.append(_row([*row, badge(notebook, url)]))
    body = rows[:2] + sorted(rows[2:], key=lambda r: _cells(r)[0])
    text = "\n".join(lines[:first] + body + lines[end:])
    text = GIT_PULL.sub(lambda m: nbgitpuller_url(url, hub=m.group(0).split("/hub/")[0]), text)
    return PIP_FROM_GIT.sub(f"git+{url}", text)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--write", action="store_true", help="rewrite README.md instead of showing the change")
    args = parser.parse_args(argv)
    readme = ROOT / "README.md"
    old = readme.read_text()
    new = update_readme(old)
    if new == old:
        print("README.md: the course map and its links are up to date.")
        return 0
    if args.write:
        readme.write_text(new)
        print("README.md: course map and links regenerated.")
        return 0
    sys.stdout.writelines(difflib.unified_diff(old.splitlines(True), new.splitlines(True), "README.md", "README.md"))
    print("README.md is out of date: run `python tools/course_map.py --write`.")
    return 1


if __name__ == "__main__":
    sys.exit(main())
