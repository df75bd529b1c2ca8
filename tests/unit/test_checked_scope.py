"""What `make lint types` covers: every package of ours a user runs is type-checked strictly and linted, and the
CLI and the emulators stay in modules a reader can hold in mind."""
from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CONFIG = tomllib.loads((ROOT / "pyproject.toml").read_text())
MAX_MODULE_LINES = 450


def test_mypy_checks_the_cli_the_emulators_the_stack_and_the_functions_strictly():
    # Given the mypy configuration
    mypy = CONFIG["tool"]["mypy"]
    # Then it reads every deployed and user-facing package, strictly, and excuses none of them
    assert {"lambdas", "inference_container/videoalert_inference", "cli/videoalert_cli", "videoalert_local", "infra",
            "app.py"} <= set(mypy["files"])
    assert mypy["strict"] is True
    excused = [o["module"] for o in mypy.get("overrides", []) if o.get("ignore_errors")]
    assert excused == []


def test_ruff_lints_the_cli_the_emulators_and_the_benches():
    excluded = set(CONFIG["tool"]["ruff"].get("extend-exclude", [])) | set(CONFIG["tool"]["ruff"].get("exclude", []))
    assert excluded.isdisjoint({"cli", "videoalert_local", "bench", "infra", "lambdas", "app.py"})


def test_no_module_of_the_cli_or_the_emulators_is_over_450_lines():
    # Given every module of the CLI and the emulator package
    modules = [*(ROOT / "cli").rglob("*.py"), *(ROOT / "videoalert_local").rglob("*.py")]
    assert len(modules) > 30  # the scan really ran
    # Then none is longer than a reader can hold in mind
    long = {str(p.relative_to(ROOT)): n for p in modules if (n := len(p.read_text().splitlines())) > MAX_MODULE_LINES}
    assert long == {}
