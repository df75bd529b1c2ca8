"""Sizes a newcomer can read: no runtime module of the zip functions or the inference image over 450 lines, no function
over 60, read from the code itself (every def, methods and nested ones too, from its decorators to its last line)."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
RUNTIME = (REPO / "lambdas", REPO / "inference_container")
# The user's command line and the local emulators it starts: read by the same bounds.
TOOLING = (REPO / "cli", REPO / "videoalert_local")
MAX_MODULE_LINES = 450
MAX_FUNCTION_LINES = 60


def modules(roots: tuple[Path, ...] = RUNTIME) -> list[Path]:
    return sorted(path for root in roots for path in root.rglob("*.py") if "__pycache__" not in path.parts)


def oversized(roots: tuple[Path, ...] = RUNTIME) -> list[str]:
    """Every module over MAX_MODULE_LINES and every function over MAX_FUNCTION_LINES, as path:line and its size."""
    found = []
    for path in modules(roots):
        text = path.read_text()
        shown = path.relative_to(roots[0].parent)
        lines = len(text.splitlines())
        if lines > MAX_MODULE_LINES:
            found.append(f"{shown}: {lines} lines")
        for node in ast.walk(ast.parse(text, str(path))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
                size = (node.end_lineno or node.lineno) - first + 1
                if size > MAX_FUNCTION_LINES:
                    found.append(f"{shown}:{node.lineno} {node.name}: {size} lines")
    return found


def test_no_runtime_module_or_function_is_too_long_to_read():
    # Given every module of lambdas/ (handlers, library, contract) and of the inference image
    assert len(modules()) > 50
    # When their lines and their functions' lines are counted
    # Then none is over the bounds
    assert oversized() == []


def test_no_module_or_function_of_the_cli_or_the_emulators_is_too_long_to_read():
    # Given every module of the CLI and of the emulator package
    assert len(modules(TOOLING)) > 30
    # When their lines and their functions' lines are counted, Then none is over the bounds
    assert oversized(TOOLING) == []


@pytest.mark.parametrize("body,expected", [
    ("x = 1\n" * (MAX_MODULE_LINES + 1), "big.py: 451 lines"),
    ("def f():\n" + "    x = 1\n" * MAX_FUNCTION_LINES, "big.py:1 f: 61 lines"),
    ("class C:\n    @property\n    def f(self):\n" + "        x = 1\n" * (MAX_FUNCTION_LINES - 1),
     "big.py:3 f: 61 lines"),
])
def test_the_size_rule_catches_a_long_module_or_function(tmp_path, body, expected):
    # Given a runtime tree with one module too long, or one function (a method, counted from its decorator) too long
    (tmp_path / "lambdas").mkdir()
    (tmp_path / "lambdas" / "big.py").write_text(body)
    (tmp_path / "lambdas" / "small.py").write_text("def f():\n    return 1\n")
    # When the rule is checked, Then exactly that is reported
    assert oversized((tmp_path / "lambdas",)) == [f"lambdas/{expected}"]
