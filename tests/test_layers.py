"""The layers hold: import-linter's contracts (pyproject.toml) pass on the tree and fail on a copy
of it with one deliberate violation, so the check in `make check` is live, not decorative."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")
MAX_MODULE_LINES = 500

# (module to change, the import it gains, the contract that must then fail)
VIOLATIONS = [
    pytest.param(
        "charter_drafts/people/audit.py",
        "import server.app",
        "The domain never imports the server or a web framework",
        id="domain-imports-server",
    ),
    pytest.param(
        "charter_drafts/document/schema.py",
        "import starlette.requests",
        "The domain never imports the server or a web framework",
        id="domain-imports-starlette",
    ),
    pytest.param(
        "charter_drafts/deliberation/__init__.py",
        "import charter_drafts.endorsements",
        "The domain: capabilities over the foundations",
        id="capability-imports-a-higher-one",
    ),
    pytest.param(
        "charter_drafts/document/staging.py",
        "import charter_drafts.people.audit",
        "The domain: capabilities over the foundations",
        id="document-imports-people",
    ),
    pytest.param(
        "server/live/room.py",
        "import server.web.i18n",
        "The server: web over services over live",
        id="live-imports-web",
    ),
    pytest.param(
        "server/web/reads.py",
        "import server.live.room",
        "The web meets the live documents only through the room service",
        id="web-imports-live",
    ),
]


def lint_imports(tree: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-logo", "--no-cache"],
        cwd=tree,  # import-linter puts its working directory first on the path: the copy is read
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def tree_copy(tmp_path: Path) -> Path:
    """The packages and the contracts, copied: a violation there leaves the real tree alone."""
    for package in ("charter_drafts", "server"):
        shutil.copytree(
            ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__")
        )
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def test_the_contracts_hold_on_the_tree() -> None:
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "4 kept, 0 broken" in result.stdout


@pytest.mark.parametrize(("module", "statement", "contract"), VIOLATIONS)
def test_a_deliberate_violation_breaks_its_contract(
    tree_copy: Path, module: str, statement: str, contract: str
) -> None:
    with (tree_copy / module).open("a") as source:
        source.write(f"\n{statement}  # noqa: E402, F401\n")
    result = lint_imports(tree_copy)
    assert result.returncode != 0
    broken = [line for line in result.stdout.splitlines() if line.endswith(" BROKEN")]
    assert len(broken) >= 1
    assert any(line.startswith(contract) for line in broken), result.stdout
    assert (ROOT / module).read_text().count(statement) == 0  # the real tree is untouched


def test_no_module_passes_five_hundred_lines() -> None:
    long = {
        str(path.relative_to(ROOT)): lines
        for package in ("charter_drafts", "server")
        for path in (ROOT / package).rglob("*.py")
        if (lines := len(path.read_text().splitlines())) > MAX_MODULE_LINES
    }
    assert long == {}
