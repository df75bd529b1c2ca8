"""The one import rule of docs/layers.md, read from the code itself: every import of every module, lazy ones too."""
from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
LAMBDAS = REPO / "lambdas"
CLI = REPO / "cli"
LOCAL = REPO / "videoalert_local"
STDLIB = set(sys.stdlib_module_names) | {"__future__"}
AWS_SDK = {"boto3", "botocore"}
POWERTOOLS = {"aws_lambda_powertools"}
WEB_PUSH = {"pywebpush", "py_vapid", "cryptography"}  # the deliveries function's push layer (infra/push.py)
# The zip's handler modules: every module at the root of lambdas/ (Lambda's handler setting names one of them).
HANDLERS = {path.stem for path in LAMBDAS.glob("*.py")}

# layer -> what it may import: our layers (by name) and third-party top-level packages. The standard library is
# always allowed; a layer may always import itself.
RULE: dict[str, tuple[set[str], set[str]]] = {
    "contract": (set(), set()),
    "domain": ({"contract"}, set()),
    "config": ({"contract"}, set()),
    "store": ({"contract", "domain"}, AWS_SDK),
    "aws": ({"contract", "domain"}, AWS_SDK | WEB_PUSH),
    "app": ({"contract", "domain", "config"}, set()),
    "wiring": ({"contract", "domain", "config", "store", "aws", "app"}, AWS_SDK),
    "telemetry": ({"contract", "app"}, POWERTOOLS),
    "handlers": ({"contract", "domain", "config", "app", "wiring", "telemetry"}, POWERTOOLS),
    "inference": ({"contract"}, {"numpy", "av", "onnxruntime", "aws_lambda_powertools"} | AWS_SDK),
    "infra": ({"contract", "infra"}, {"aws_cdk", "constructs", "cdk_nag", "jsii"}),  # jsii: the push layer's bundler
    # The user's command line: its library (cli) and its entry points (main.py, commands/). Never the emulators:
    # only the run-local command starts them (RUN_LOCAL_COMMAND, below).
    "cli": ({"contract", "domain", "config", "store", "aws", "app", "wiring", "inference"},
            AWS_SDK | {"av", "PIL", "numpy", "cv2", "fastapi", "tqdm"}),
    "cli commands": ({"contract", "domain", "config", "store", "aws", "app", "wiring", "inference", "cli"},
                     AWS_SDK | {"uvicorn"}),
    # The local emulators: the lambdas' public pieces (handlers, wiring, adapters), the inference handler, the
    # CLI's library (the push producer, the emulator's record), never its commands.
    "local": ({"contract", "domain", "config", "store", "aws", "app", "wiring", "handlers", "inference", "cli"},
              AWS_SDK | {"av", "moto", "tqdm", "matplotlib", "PIL", "numpy", "cv2"}),
}
# The one module of the CLI that may import the emulators.
RUN_LOCAL_COMMAND = "videoalert_cli.commands.run_local"


def layer_of_module(name: str) -> str | None:
    """The layer a dotted module name belongs to (None: not ours)."""
    parts = name.split(".")
    if parts[0] == "videoalert_contract":
        return "contract"
    if parts[0] == "videoalert_inference":
        return "inference"
    if parts[0] == "infra":
        return "infra"
    if parts[0] == "videoalert_cli":
        return "cli commands" if len(parts) > 1 and parts[1] in ("main", "commands") else "cli"
    if parts[0] == "videoalert_local":
        return "local"
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
    for root, package in ((CLI, CLI / "videoalert_cli"), (LOCAL.parent, LOCAL)):
        for path in sorted(package.rglob("*.py")):
            module = ".".join(path.relative_to(root).with_suffix("").parts).removesuffix(".__init__")
            found.append((layer_of_module(module), path, module))
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
            # `from videoalert import wiring` imports the module videoalert.wiring (and so for the CLI's package)
            top = layer_of_module(name) == "videoalert" or name == "videoalert_cli"
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
            elif target != layer and target not in ours and (module, target) != (RUN_LOCAL_COMMAND, "local"):
                edges.append(f"{shown}:{line} ({layer}) imports {name} ({target})")
    return edges


def test_every_import_follows_the_layer_rule():
    # Given every module of the zip functions, the contract, the inference package, the stack, the CLI and the
    # local emulators
    # When their imports are read
    # Then none crosses the rule of docs/layers.md: the domain has no I/O and no boto3, the use cases reach
    # the outside only through ports, only wiring.py knows the adapters, handlers never touch boto3, nothing
    # deployed imports the CLI or the emulators, and the CLI starts the emulators from its run-local command only
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


def test_the_rule_reads_the_cli_and_the_emulators():
    # Given the modules the rule covers, When their layers are counted
    layers = {layer for layer, _, _ in sources()}
    # Then the CLI's library and commands and the emulator package are among them, with the run-local command
    assert {"cli", "cli commands", "local"} <= layers
    assert RUN_LOCAL_COMMAND in {module for _, _, module in sources()}


@pytest.mark.parametrize("source,target,expected", [
    ("videoalert/domain/rule.py", "import boto3", "imports boto3"),
    ("videoalert/app/lifecycle.py", "from videoalert.aws.kvs import KvsClipSource", "(aws)"),
    ("videoalert/app/intake.py", "from videoalert.store import videos", "(store)"),
    ("videoalert/app/outbox.py", "from videoalert.telemetry import record_metrics", "(telemetry)"),
    ("videoalert/telemetry.py", "from videoalert.wiring import build_dependencies", "(wiring)"),
    ("videoalert/store/videos.py", "from videoalert.app.ports import Videos", "(app)"),
    ("videoalert_contract/names.py", "from videoalert.domain import ids", "(domain)"),
    ("dispatcher.py", "from videoalert.store.videos import VideoRecords", "(store)"),
    ("videoalert/app/fanout.py", "from videoalert_cli import resources", "(cli)"),
    ("dispatcher.py", "from videoalert_local.emulator import session", "(local)"),
    ("videoalert_contract/names.py", "import videoalert_local", "(local)"),
])
def test_the_rule_test_catches_a_forbidden_import(tmp_path, monkeypatch, source, target, expected):
    # Given a copy of lambdas/ where one module gains a forbidden import
    assert_caught(tmp_path, monkeypatch, "LAMBDAS", LAMBDAS, source, target, expected)


@pytest.mark.parametrize("folder,source,target,expected", [
    ("CLI", "videoalert_cli/commands/status.py", "from videoalert_local.local_run import run_local", "(local)"),
    ("CLI", "videoalert_cli/resources.py", "from videoalert_local import emulator", "(local)"),
    ("CLI", "videoalert_cli/kvs/producer.py", "from ..commands import push", "(cli commands)"),
    ("LOCAL", "serve.py", "from videoalert_cli.commands import push", "(cli commands)"),
    ("LOCAL", "kvs/endpoint.py", "from videoalert_cli.main import main", "(cli commands)"),
])
def test_the_rule_keeps_the_emulators_out_of_the_cli(tmp_path, monkeypatch, folder, source, target, expected):
    # Given a copy of the CLI or the emulator package where one module gains a forbidden import
    assert_caught(tmp_path, monkeypatch, folder, getattr(sys.modules[__name__], folder), source, target, expected)


def assert_caught(tmp_path, monkeypatch, name, folder, source, target, expected):
    import shutil

    copy = tmp_path / folder.name
    shutil.copytree(folder, copy, ignore=shutil.ignore_patterns("__pycache__"))
    path = copy / source
    path.write_text(path.read_text() + f"\n{target}\n")
    monkeypatch.setattr(sys.modules[__name__], name, copy)
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


def test_the_inference_image_holds_the_served_model_files_and_not_the_unused_fp32_one():
    import json

    # Given the model cards' served files (and the classifier's encodings of it)
    card = json.loads((REPO / "models" / "model_card.json").read_text())
    detector = json.loads((REPO / "models" / "detector_card.json").read_text())
    served = card["files"][card["served"]]
    wanted = {"model_card.json", served, "detector_card.json", detector["files"][detector["served"]]}
    wanted |= {e["file"] for e in card.get("encodings", {}).get(card["served"], {}).values()}
    # When the Dockerfile's COPY lines into /opt/model are read
    dockerfile = (REPO / "inference_container" / "Dockerfile").read_text()
    copied = {word.rsplit("/", 1)[-1] for line in dockerfile.splitlines()
              if line.startswith("COPY ") and line.rstrip().endswith("/opt/model/") for word in line.split()[1:-1]}
    # Then exactly those are in the image (the 45 MB fp32 classifier is not)
    assert copied == wanted and card["files"]["fp32"] not in copied
