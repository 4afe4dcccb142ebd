"""Drift check (`make latest`): the tests against the newest release of every direct dependency.

Makes a throw-away venv, installs the names in requirements.in and requirements-dev.in WITHOUT their pins (so pip
picks the newest releases that work together), installs course_lib from this checkout, and runs the test suite there
(``pytest -m "not binder"``: the Binder checks install the pinned versions, not these). Then prints which
versions differ from requirements.txt and which tests failed, and exits with pytest's status (non-zero if a
test broke). The report is also written to test-artifacts/latest-report.txt. Not part of `make test`.

    python3.11 tools/latest.py [--keep] [-- PYTEST-ARGS...]
"""

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PIN = re.compile(r"^([A-Za-z0-9_.\-\[\]]+)==(\S+)$")
ANSI = re.compile(r"(\x1b|#x1B)\[[0-9;]*m")  # colour codes, raw or as pytest escapes them in JUnit XML


def normalize(name):
    return re.sub(r"[-_.]+", "-", name).lower()


def pins(path):
    """{normalized name: version} of a requirements file with name==version lines."""
    result = {}
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        match = PIN.match(line)
        if match:
            result[normalize(match.group(1))] = match.group(2)
    return result


def run(command, **kwargs):
    print("+", " ".join(map(str, command)), flush=True)
    return subprocess.run([str(c) for c in command], cwd=ROOT, **kwargs)


def report(direct, locked, latest, failures, status, seconds):
    lines = [f"make latest: newest releases of the {len(direct)} direct dependencies of requirements.in", ""]
    changed = [(n, locked.get(n, "-"), v) for n, v in sorted(latest.items()) if locked.get(n) != v]
    changed_direct = [c for c in changed if c[0] in direct]
    width = max([len(n) for n, _, _ in changed] + [7])
    lines.append(f"Direct dependencies that changed ({len(changed_direct)} of {len(direct)}):")
    for name, old, new in changed_direct:
        lines.append(f"  {name:<{width}}  {old:>12} -> {new}")
    if not changed_direct:
        lines.append("  (none: requirements.in pins the newest releases)")
    others = [c for c in changed if c[0] not in direct]
    lines.append(f"Other packages that changed, appeared or went ({len(others)}):")
    for name, old, new in others:
        lines.append(f"  {name:<{width}}  {old:>12} -> {new}")
    for name in sorted(set(locked) - set(latest)):
        lines.append(f"  {name:<{width}}  {locked[name]:>12} -> (no longer installed)")
    lines.append("")
    if status == 0:
        lines.append(f"Tests: all passed with the newest releases ({seconds:.0f} s).")
    else:
        lines.append(f"Tests: pytest exited with {status} ({seconds:.0f} s); what broke:")
        lines.extend(f"  {line}" for line in failures or ["(see the pytest output above)"])
        lines.append("A test that also fails with the pins (`make test`) is not drift. To move: update the pins in")
        lines.append("requirements.in, `make lock`, fix what broke, `make test`.")
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--keep", action="store_true", help="keep the temporary venv and print its path")
    parser.add_argument("pytest_args", nargs="*", help="passed to pytest (after --)")
    args = parser.parse_args(argv)
    direct = pins(ROOT / "requirements.in") | pins(ROOT / "requirements-dev.in")  # the learners' and the tests'
    locked = pins(ROOT / "requirements.txt") | pins(ROOT / "requirements-dev.txt")
    work = Path(tempfile.mkdtemp(prefix="course-latest-"))
    venv = work / "venv"
    python = venv / "bin" / "python"
    try:
        run([sys.executable, "-m", "venv", venv], check=True)
        run([python, "-m", "pip", "install", "--quiet", "--upgrade", "pip"], check=True)
        # Names only: pip resolves the newest releases that satisfy each other.
        run([python, "-m", "pip", "install", "--quiet", "--upgrade", *direct], check=True)
        run([python, "-m", "pip", "install", "--quiet", "--no-deps", "-e", "."], check=True)
        settings = venv / "share" / "jupyter" / "lab" / "settings"  # as `make setup` does
        settings.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / "binder" / "jupyterlab-overrides.json", settings / "overrides.json")
        freeze = run([python, "-m", "pip", "freeze", "--exclude-editable"], check=True, capture_output=True,
                     text=True).stdout
        latest = {normalize(m.group(1)): m.group(2) for m in map(PIN.match, freeze.splitlines()) if m}
        check = run([python, "-m", "pip", "check"], capture_output=True, text=True)

        started = time.monotonic()
        junit = work / "junit.xml"
        tests = run([python, "-m", "pytest", "-m", "not binder", "-p", "no:cacheprovider", f"--junitxml={junit}",
                     *args.pytest_args])
        seconds = time.monotonic() - started
        failures = failed_tests(junit)
        text = report(direct, locked, latest, failures, tests.returncode, seconds)
        if check.returncode != 0:
            text += "\npip check found conflicts:\n" + check.stdout
        print("\n" + text)
        (ROOT / "test-artifacts").mkdir(exist_ok=True)
        (ROOT / "test-artifacts" / "latest-report.txt").write_text(text + "\n")
        return tests.returncode
    finally:
        if args.keep:
            print(f"the venv is kept in {venv}")
        else:
            shutil.rmtree(work, ignore_errors=True)


def failed_tests(junit):
    """'test id: first line of the failure' of each failed or erroring test in a JUnit XML report."""
    import xml.etree.ElementTree as ET

    if not junit.exists():
        return []
    found = []
    for case in ET.parse(junit).iter("testcase"):
        for problem in list(case.findall("failure")) + list(case.findall("error")):
            message = ANSI.sub("", problem.get("message") or "").strip().splitlines()
            name = f"{case.get('classname', '')}::{case.get('name', '')}"
            found.append(f"{name}: {message[0][:160] if message else problem.tag}")
    return found


if __name__ == "__main__":
    sys.exit(main())
