"""The one import rule of docs/layers.md, read from the code itself: every import of every module, lazy ones too."""
from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
LAMBDAS = REPO / "lambdas"
STDLIB = set(sys.stdlib_module_names) | {"__future__"}
AWS_SDK = {"boto3", "botocore"}
POWERTOOLS = {"aws_lambda_powertools"}
# The zip's handler modules: every module at the root of lambdas/ (Lambda's handler setting names one of them).
HANDLERS = {path.stem for path in LAMBDAS.glob("*.py")}

# layer -> what it may import: our layers (by name) and third-party top-level packages. The standard library is
# always allowed; a layer may always import itself.
RULE: dict[str, tuple[set[str], set[str]]] = {
    "contract": (set(), set()),
    "domain": ({"contract"}, set()),
    "config": ({"contract"}, set()),
    "store": ({"contract", "domain"}, AWS_SDK),
    "aws": ({"contract", "domain"}, AWS_SDK),
    "app": ({"contract", "domain", "config"}, set()),
    "wiring": ({"contract", "domain", "config", "store", "aws", "app"}, AWS_SDK),
    "telemetry": ({"contract", "app"}, POWERTOOLS),
    "handlers": ({"contract", "domain", "config", "app", "wiring", "telemetry"}, POWERTOOLS),
    "inference": ({"contract"}, {"numpy", "av", "onnxruntime", "aws_lambda_powertools"} | AWS_SDK),
    "infra": ({"contract", "infra"}, {"aws_cdk", "constructs", "cdk_nag"}),
}


def layer_of_module(name: str) -> str | None:
    """The layer a dotted module name belongs to (None: not ours)."""
    parts = name.split(".")
    if parts[0] == "videoalert_contract":
        return "contract"
    if parts[0] == "videoalert_inference":
        return "inference"
    if parts[0] == "infra":
        return "infra"
    if parts[0] == "videoalert":
        if len(parts) == 1:
            return "videoalert"  # the package itself: its __init__ holds nothing
        return "wiring" if parts[1] == "wiring" else parts[1]
    if parts[0] in HANDLERS:
        return "handlers"
    return None


def sources() -> list[tuple[str, Path, str]]:
    """(layer, file, dotted module name) of every module the rule covers."""
    found = []
    for path in sorted((LAMBDAS / "videoalert").rglob("*.py")):
        module = ".".join(path.relative_to(LAMBDAS).with_suffix("").parts).removesuffix(".__init__")
        layer = layer_of_module(module)
        if layer != "videoalert":
            found.append((layer, path, module))
    for path in sorted((LAMBDAS / "videoalert_contract").rglob("*.py")):
        found.append(("contract", path, ".".join(path.relative_to(LAMBDAS).with_suffix("").parts)))
    for path in sorted(LAMBDAS.glob("*.py")):
        found.append(("handlers", path, path.stem))
    package = REPO / "inference_container"
    for path in sorted((package / "videoalert_inference").rglob("*.py")):
        found.append(("inference", path, ".".join(path.relative_to(package).with_suffix("").parts)))
    for path in sorted((REPO / "infra").rglob("*.py")):
        found.append(("infra", path, ".".join(path.relative_to(REPO).with_suffix("").parts)))
    return found


def imports(path: Path, module: str) -> list[tuple[int, str]]:
    """(line, absolute module name) of every import in the file, relative ones resolved."""
    tree = ast.parse(path.read_text(), str(path))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                name = ".".join(base + ([node.module] if node.module else []))
            else:
                name = node.module or ""
            # `from videoalert import wiring` imports the module videoalert.wiring
            top = layer_of_module(name) == "videoalert"
            out += [(node.lineno, f"{name}.{alias.name}" if top else name) for alias in node.names]
    return out


def forbidden_edges() -> list[str]:
    edges = []
    for layer, path, module in sources():
        ours, third_party = RULE[layer]
        shown = path.relative_to(REPO) if path.is_relative_to(REPO) else path
        for line, name in imports(path, module):
            target = layer_of_module(name)
            top = name.split(".")[0]
            if target is None:
                if top not in STDLIB and top not in third_party:
                    edges.append(f"{shown}:{line} ({layer}) imports {name}")
            elif target != layer and target not in ours:
                edges.append(f"{shown}:{line} ({layer}) imports {name} ({target})")
    return edges


def test_every_import_follows_the_layer_rule():
    # Given every module of the zip functions, the contract, the inference package and the stack
    # When their imports are read
    # Then none crosses the rule of docs/layers.md: the domain has no I/O and no boto3, the use cases reach
    # the outside only through ports, only wiring.py knows the adapters, handlers never touch boto3
    assert forbidden_edges() == []


def handler_imports() -> list[str]:
    """Imports of one handler module by another (each handler stands alone: what two share lives in the library)."""
    found = []
    for path in sorted(LAMBDAS.glob("*.py")):
        for line, name in imports(path, path.stem):
            if name.split(".")[0] in HANDLERS - {path.stem}:
                found.append(f"{path.name}:{line} imports the handler {name}")
    return found


def test_no_handler_imports_another_handler():
    # Given the handler modules of the zip (the dispatcher, the camera worker, feedback, ...)
    # When their imports are read
    # Then none takes anything from another: the worker does not run on the dispatcher's wiring or metrics
    assert {"dispatcher", "camera_worker", "feedback", "feedback_links"} <= HANDLERS
    assert handler_imports() == []


def test_the_handler_rule_catches_a_handler_importing_another(tmp_path, monkeypatch):
    # Given a copy of lambdas/ where the camera worker takes the dispatcher's dependencies again
    import shutil

    copy = tmp_path / "lambdas"
    shutil.copytree(LAMBDAS, copy, ignore=shutil.ignore_patterns("__pycache__"))
    worker = copy / "camera_worker.py"
    worker.write_text(worker.read_text() + "\nfrom dispatcher import dependencies\n")
    monkeypatch.setattr(sys.modules[__name__], "LAMBDAS", copy)
    # When the rule is checked, Then that import is reported
    assert handler_imports() == [f"camera_worker.py:{len(worker.read_text().splitlines())} imports the handler "
                                 "dispatcher"]


@pytest.mark.parametrize("source,target,expected", [
    ("videoalert/domain/rule.py", "import boto3", "imports boto3"),
    ("videoalert/app/lifecycle.py", "from videoalert.aws.kvs import KvsClipSource", "(aws)"),
    ("videoalert/app/intake.py", "from videoalert.store import videos", "(store)"),
    ("videoalert/app/outbox.py", "from videoalert.telemetry import record_metrics", "(telemetry)"),
    ("videoalert/telemetry.py", "from videoalert.wiring import build_dependencies", "(wiring)"),
    ("videoalert/store/videos.py", "from videoalert.app.ports import Videos", "(app)"),
    ("videoalert_contract/names.py", "from videoalert.domain import ids", "(domain)"),
    ("dispatcher.py", "from videoalert.store.videos import VideoRecords", "(store)"),
])
def test_the_rule_test_catches_a_forbidden_import(tmp_path, monkeypatch, source, target, expected):
    # Given a copy of lambdas/ where one module gains a forbidden import
    import shutil

    copy = tmp_path / "lambdas"
    shutil.copytree(LAMBDAS, copy, ignore=shutil.ignore_patterns("__pycache__"))
    path = copy / source
    path.write_text(path.read_text() + f"\n{target}\n")
    monkeypatch.setattr(sys.modules[__name__], "LAMBDAS", copy)
    # When the rule is checked, Then that edge is reported
    assert any(expected in edge for edge in forbidden_edges())


def test_the_inference_image_copies_every_package_of_ours_it_imports():
    # Given the first-party packages videoalert_inference imports
    package = REPO / "inference_container" / "videoalert_inference"
    used = {name.split(".")[0] for path in package.rglob("*.py")
            for _, name in imports(path, "videoalert_inference." + path.stem)
            if layer_of_module(name) not in (None, "inference")}
    # When the Dockerfile's COPY lines are read
    dockerfile = (REPO / "inference_container" / "Dockerfile").read_text()
    copied = {line.split()[1].rstrip("/").rsplit("/", 1)[-1] for line in dockerfile.splitlines()
              if line.startswith("COPY ")}
    # Then each is copied into the image (the contract, and nothing of the dispatcher's library)
    assert used == {"videoalert_contract"} and used <= copied
