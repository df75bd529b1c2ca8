"""What `make lint types` covers: every package of ours a user runs is type-checked strictly and linted (sizes:
test_sizes.py)."""
from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CONFIG = tomllib.loads((ROOT / "pyproject.toml").read_text())


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

