"""A hint for a learner who comes back: after a kernel restart, a name from an earlier cell is gone.

Running a cell in the middle of a chapter after a restart (or after JupyterLab reopened the notebook with a new
kernel) fails with ``NameError: name 'np' is not defined``: the cells above, which import numpy and make the data,
have not run in this kernel. This IPython extension keeps the usual traceback and adds one line that says what to
do. The kernels of ``make lab`` and Binder load it (binder/ipython_kernel_config.json, installed by
tools/install_jupyter_settings.py); elsewhere ``%load_ext course_lib.ipython_hints`` does.
"""

__all__ = ["HINT", "load_ipython_extension"]

HINT = ("Hint: if this name is made in a cell above, that cell has not run in this kernel (after a restart, nothing "
        "has). Run the cells above first: Run > Run All Above Selected Cell.")


def _show_with_hint(shell, etype, value, tb, tb_offset=None):
    """IPython's custom exception handler: the usual traceback, then the hint."""
    shell.showtraceback((etype, value, tb), tb_offset=tb_offset)
    print(HINT)


def load_ipython_extension(ipython):
    """Called by IPython when the extension is loaded: every NameError gets the hint."""
    ipython.set_custom_exc((NameError,), _show_with_hint)
