"""Make every stored course explorer in the given notebooks plainly a picture until its cell runs.

    python tools/widget_fallback.py notebooks/*.ipynb            # run by `make notebooks`
    python tools/widget_fallback.py --check notebooks/*.ipynb    # exit 1 if one is missing or stale

What it changes, and why, is in ``course_lib/still_widgets.py`` (the Jupyter server applies the same to every
notebook a learner saves).
"""

import argparse
import json
import sys
from pathlib import Path

from course_lib.still_widgets import RUN_LINE, make_still, problems, widget_outputs

__all__ = ["RUN_LINE", "make_still", "problems", "widget_outputs"]


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
        changed = make_still(nb)
        if changed:
            # The layout nbformat writes (and nbconvert and JupyterLab): one-space indent, sorted keys, UTF-8.
            path.write_text(json.dumps(nb, indent=1, sort_keys=True, ensure_ascii=False) + "\n")
            print(f"{path}: {changed} widget output(s) made a still picture (disabled controls, the run line)")
        for message in problems(nb):
            print(f"{path}: {message}")
            status = 1
    return status


if __name__ == "__main__":
    sys.exit(main())
