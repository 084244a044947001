"""The committed browser bundle is what its sources and lock file build, and its size is stated.

A temporary copy of static/ (package.json, package-lock.json, src/) is installed with `npm ci`
and built with the package's own build script; the result must equal static/dist byte for byte.
"""

from __future__ import annotations

import gzip
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.browsers import IN_CI
from tests.servers import ROOT

STATIC = ROOT / "static"
pytestmark = pytest.mark.timeout(300)


def npm() -> str:
    found = shutil.which("npm")
    if found is None:
        if IN_CI:
            pytest.fail("the bundle check needs Node and npm")
        pytest.skip("the bundle check needs Node and npm")
    return found


def test_the_committed_bundle_is_a_fresh_build_of_the_lock_file(tmp_path: Path) -> None:
    command = npm()
    copy = tmp_path / "static"
    copy.mkdir()
    for name in ("package.json", "package-lock.json"):
        shutil.copy2(STATIC / name, copy / name)
    shutil.copytree(STATIC / "src", copy / "src")

    def run(*args: str) -> None:
        done = subprocess.run(
            [command, *args], cwd=copy, capture_output=True, text=True, timeout=240
        )
        assert done.returncode == 0, f"npm {' '.join(args)}:\n{done.stdout}\n{done.stderr}"

    run("ci", "--no-audit", "--no-fund", "--prefer-offline", "--loglevel=error")
    run("run", "build")
    names = {p.name for p in (copy / "dist").iterdir()}
    assert names == {p.name for p in (STATIC / "dist").iterdir()}, "static/dist: other files"
    assert {"editor.js", "endorsers.js"} <= names
    for name in sorted(names):
        built = (copy / "dist" / name).read_bytes()
        committed = (STATIC / "dist" / name).read_bytes()
        assert built == committed, (
            f"static/dist/{name} is not what static/src and the lock file build:"
            " run `make static` and commit static/dist"
        )


def test_the_gzipped_size_stated_in_the_readme_is_the_bundle_s() -> None:
    readme = (STATIC / "README.md").read_text()
    stated = re.search(r"gzipped: \*\*([\d.]+) kB\*\*", readme)
    assert stated, "static/README.md states the bundle's gzipped size as 'gzipped: **N kB**'"
    actual = len(gzip.compress((STATIC / "dist" / "editor.js").read_bytes(), 9)) / 1000
    assert abs(float(stated.group(1)) - actual) <= max(1.0, actual * 0.02), (
        f"static/README.md says {stated.group(1)} kB gzipped; the bundle is {actual:.1f} kB"
    )
