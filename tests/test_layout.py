"""The layout of course_lib: experiments import without the screen libraries, and no module grows too long."""

import pathlib
import subprocess
import sys

import course_lib

ROOT = pathlib.Path(course_lib.__file__).parent
EXPERIMENT_MODULES = sorted(p.stem for p in (ROOT / "experiments").glob("*.py") if p.stem != "__init__")
MAX_LINES = 700


def test_there_is_an_experiments_module_and_a_widgets_module_per_chapter():
    chapters = [name for name in EXPERIMENT_MODULES if name.startswith("ch")]
    assert len(chapters) == 11 and chapters[0] == "ch00_start_here" and chapters[-1] == "ch10_convolutional_weights"
    widget_modules = sorted(p.stem for p in (ROOT / "widgets").glob("ch*.py"))
    assert widget_modules == chapters


def test_experiments_import_without_ipywidgets_matplotlib_or_pil():
    """A chapter that only computes (chapter 06 calls regularization_curve) must not need the widget stack."""
    modules = ", ".join(f"course_lib.experiments.{name}" for name in EXPERIMENT_MODULES)
    code = (f"import sys, course_lib.experiments, {modules}\n"
            "print(sorted({m.split('.')[0] for m in sys.modules} & {'ipywidgets', 'matplotlib', 'PIL'}))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                            cwd=ROOT.parent)
    assert result.stdout.strip() == "[]", f"course_lib.experiments imported {result.stdout.strip()}"


def test_every_module_is_at_most_700_lines():
    lengths = {str(p.relative_to(ROOT.parent)): len(p.read_text().splitlines()) for p in ROOT.rglob("*.py")}
    too_long = {path: n for path, n in lengths.items() if n > MAX_LINES}
    assert not too_long, f"split these modules (at most {MAX_LINES} lines each): {too_long}"


def test_no_module_but_nn_reaches_into_an_mlps_private_state():
    """Other modules use MLP's public API (copy, layer_output, clear_cache, check_input), so that MLP can change
    how it keeps its state. An object's own private attributes (``self._cache``) are its business."""
    import re

    private = re.compile(r"(?<!self)\.(_cache|_grads|_check_input|_require_cache|_gradient_arrays)\b")
    offenders = [f"{p.relative_to(ROOT.parent)}:{number}: {line.strip()}"
                 for p in ROOT.rglob("*.py") if p.name != "nn.py"
                 for number, line in enumerate(p.read_text().splitlines(), 1) if private.search(line)]
    assert not offenders, "\n".join(offenders)
