"""Add the course's Jupyter server settings (binder/jupyter_server_config.json) to this Python environment's
``etc/jupyter/jupyter_server_config.json``, keeping any settings already there.

    python tools/install_server_config.py        # run by `make setup` and binder/postBuild

(The server reads general settings from ``jupyter_server_config.json`` in each of its config directories; the
``jupyter_server_config.d/`` directory next to it only enables server extensions.)
"""

import json
import sys
from pathlib import Path

SOURCE = Path(__file__).resolve().parents[1] / "binder" / "jupyter_server_config.json"


def main():
    target = Path(sys.prefix) / "etc" / "jupyter" / "jupyter_server_config.json"
    config = json.loads(target.read_text()) if target.exists() else {}
    for section, settings in json.loads(SOURCE.read_text()).items():
        config.setdefault(section, {}).update(settings)
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_suffix(".tmp")
    temporary.write_text(json.dumps(config, indent=2) + "\n")
    temporary.replace(target)  # atomically: a server starting now reads the old file or the new one
    print(f"{target}: {', '.join(sorted(config))}")


if __name__ == "__main__":
    main()
