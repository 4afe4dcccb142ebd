"""`make lab` itself: it serves the whole course (README, notebooks, solutions) and opens chapter 00.

Runs the real target (``make lab LAB_ARGS=...`` adds --no-browser, a port and a token), with Jupyter's config,
data and runtime directories in a temporary folder so that nothing of the user's is touched, then asks the server
what its file browser shows and reads the page it would have opened in a browser. Every process the target
started is stopped (its own process group).
"""

import json
import os
import re
import secrets
import signal
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def free_port():
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def lab(tmp_path):
    port, token = free_port(), secrets.token_hex(16)
    env = dict(os.environ, JUPYTER_CONFIG_DIR=str(tmp_path / "config"), JUPYTER_DATA_DIR=str(tmp_path / "data"),
               JUPYTER_RUNTIME_DIR=str(tmp_path / "runtime"))
    env.pop("MAKEFLAGS", None)
    args = f"--no-browser --ServerApp.ip=127.0.0.1 --ServerApp.port={port} --IdentityProvider.token={token}"
    log = tmp_path / "lab.log"
    with open(log, "w") as out:
        process = subprocess.Popen(["make", "--no-print-directory", "lab", f"LAB_ARGS={args}"], cwd=ROOT, env=env,
                                   stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180
        while True:
            try:
                with urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=5):
                    break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"make lab did not start a server:\n{log.read_text()[-3000:]}")
                time.sleep(0.5)
        yield base, token, tmp_path / "runtime"
    finally:
        os.killpg(process.pid, signal.SIGTERM)  # make, and the jupyter lab it started, in their own group
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=30)


def test_make_lab_shows_the_whole_course_and_opens_chapter_00(lab):
    base, token, runtime = lab
    with urllib.request.urlopen(f"{base}/api/contents/?token={token}", timeout=10) as response:
        listing = {item["name"]: item["type"] for item in json.load(response)["content"]}
    assert listing.get("README.md") == "file", f"the file browser's root lacks README.md: {sorted(listing)}"
    assert listing.get("notebooks") == "directory" and listing.get("solutions") == "directory", sorted(listing)
    # The page `make lab` opens in the browser when it is given a file (jupyter_server writes it even with
    # --no-browser): it must lead to chapter 00, under the root.
    opened = [path.read_text() for path in runtime.glob("jpserver-file-to-run-*-open.html")]
    assert opened, f"no page to open in {runtime}: {sorted(p.name for p in runtime.iterdir())}"
    assert re.search(r"/lab/tree/notebooks/00_start_here\.ipynb", opened[0]), opened[0][:2000]
