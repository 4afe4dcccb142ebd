"""course_lib.ipython_hints: a NameError in a kernel says to run the cells above, and still shows the traceback."""

import json
from pathlib import Path

from IPython.core.interactiveshell import InteractiveShell

from course_lib import ipython_hints

ROOT = Path(__file__).resolve().parents[1]


def test_a_name_error_gets_the_hint_after_its_traceback(capsys):
    shell = InteractiveShell.instance()
    shell.extension_manager.load_extension("course_lib.ipython_hints")
    try:
        result = shell.run_cell("x_from_a_cell_above + 1")
        assert isinstance(result.error_in_exec, NameError)  # still an error: Run All stops there
        out = capsys.readouterr().out
        assert "NameError" in out and "x_from_a_cell_above" in out  # the usual traceback first
        assert out.rstrip().endswith(ipython_hints.HINT)
        assert "Run All Above Selected Cell" in ipython_hints.HINT
        shell.run_cell("1 / 0")
        assert ipython_hints.HINT not in capsys.readouterr().out  # only for NameError
    finally:
        shell.set_custom_exc((), None)


def test_the_kernels_of_make_lab_and_binder_load_it():
    config = json.loads((ROOT / "binder" / "ipython_kernel_config.json").read_text())
    assert "course_lib.ipython_hints" in config["InteractiveShellApp"]["extensions"]
