"""Add the course's settings for JupyterLab, the Jupyter server and the IPython kernel to this Python environment,
keeping any settings already there:

    binder/jupyterlab-overrides.json    ->  <sys.prefix>/share/jupyter/lab/settings/overrides.json
    binder/jupyter_server_config.json   ->  <sys.prefix>/etc/jupyter/jupyter_server_config.json
    binder/ipython_kernel_config.json   ->  <sys.prefix>/etc/ipython/ipython_kernel_config.json

    python tools/install_jupyter_settings.py        # run by `make setup`, binder/postBuild and a hub's image

JupyterLab's: a notebook's kernel starts on opening (no "Select Kernel" dialog), no news pop-up, and the widgets'
state is saved with the notebook.
The server's: a notebook a learner saves stores each explorer as a still picture (course_lib.still_widgets). The
kernel's: a NameError says to run the cells above after a restart (course_lib.ipython_hints). (The server reads
general settings from ``jupyter_server_config.json`` in each config directory; ``jupyter_server_config.d/`` next
to it only enables server extensions.)
"""

import json
import sys
from pathlib import Path

BINDER = Path(__file__).resolve().parents[1] / "binder"
SETTINGS = {  # the course's file -> where this environment's JupyterLab, server or kernel reads it
    "jupyterlab-overrides.json": ("share", "jupyter", "lab", "settings", "overrides.json"),
    "jupyter_server_config.json": ("etc", "jupyter", "jupyter_server_config.json"),
    "ipython_kernel_config.json": ("etc", "ipython", "ipython_kernel_config.json"),
}


def merged(old, new):
    """``old`` with ``new``'s settings added: sections merged, lists joined without repeats, other values replaced."""
    result = dict(old)
    for key, value in new.items():
        if isinstance(value, dict) and isinstance(old.get(key), dict):
            result[key] = merged(old[key], value)
        elif isinstance(value, list) and isinstance(old.get(key), list):
            result[key] = old[key] + [item for item in value if item not in old[key]]
        else:
            result[key] = value
    return result


def install(source, target):
    config = json.loads(target.read_text()) if target.exists() else {}
    config = merged(config, json.loads(source.read_text()))
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_suffix(".tmp")
    temporary.write_text(json.dumps(config, indent=2) + "\n")
    temporary.replace(target)  # atomically: a server or kernel starting now reads the old file or the new one
    print(f"{target}: {', '.join(sorted(config))}")


def main():
    for name, parts in SETTINGS.items():
        install(BINDER / name, Path(sys.prefix).joinpath(*parts))


if __name__ == "__main__":
    main()
