"""Imports run downward only and no package has a cycle: the import-linter contracts in pyproject.toml.

models <- core rooms (runtime <- reference <- identity <- casework <- intake <- reporting) <- api, connectors
<- dashboard <- core.entry (CLI, serve, worker, demo, doctor)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("core", "api", "connectors", "dashboard", "models")


def lint(tree: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", "from importlinter.cli import lint_imports_command; "
                           "lint_imports_command()"], cwd=tree, env={"PYTHONPATH": str(tree), "PATH": "/usr/bin"},
                          capture_output=True, text=True, timeout=120)


def test_the_code_keeps_its_layers():
    result = lint(ROOT)
    assert result.returncode == 0, result.stdout[-4000:]


@pytest.fixture
def tree(tmp_path) -> Path:
    for package in PACKAGES:
        shutil.copytree(ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__", "emulators"))
    (tmp_path / "connectors" / "emulators").mkdir()
    (tmp_path / "connectors" / "emulators" / "__init__.py").write_text("")
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    return tmp_path


def _append(path: Path, line: str) -> None:
    path.write_text(path.read_text() + f"\n{line}\n")


@pytest.mark.parametrize(("module", "line", "says"), [
    ("core/runtime/db.py", "import api.main  # noqa", "core.runtime is not allowed to import api"),
    ("models/complaint.py", "from core.casework import followup  # noqa", "models is not allowed to import core"),
    ("core/casework/sla.py", "from core.reporting import stats  # noqa",
     "core.casework is not allowed to import core.reporting"),
    ("dashboard/client.py", "import models  # noqa", "dashboard is not allowed to import models"),
    ("core/intake/ingest.py", "import dashboard.app  # noqa", "core.intake is not allowed to import dashboard"),
    ("connectors/whatsapp.py", "from sqlmodel import select  # noqa", "connectors is not allowed to import sqlmodel"),
    ("connectors/call112.py", "from core.runtime.settings import get_settings  # noqa",
     "connectors is not allowed to import core.runtime"),
    ("connectors/lapor.py", "from core.intake.ingest import upsert_complaint  # noqa",
     "connectors is not allowed to import core.intake.ingest"),
])
def test_an_upward_import_is_caught(tree, module, line, says):
    _append(tree / module, line)
    result = lint(tree)
    assert result.returncode != 0 and says in result.stdout, result.stdout[-3000:]


def test_a_cycle_is_caught(tree):
    _append(tree / "core" / "entry" / "cli_common.py", "from core.entry import cli  # noqa")
    result = lint(tree)
    assert result.returncode != 0 and "No cycles are allowed in core.entry" in result.stdout, result.stdout[-3000:]


def test_an_api_process_starts_without_the_machine_learning_libraries():
    # scikit-learn and scipy.stats add ~150 MB to every API process (an export then peaked at 294 MB at 10 M
    # complaints); they load where a model is fitted or used, not with the routes.
    probe = "import sys, api.main; print(sorted(m for m in ('sklearn', 'scipy') if m in sys.modules))"
    result = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == "[]"
