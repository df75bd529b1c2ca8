"""Installed size of inference_container/requirements.txt in a clean virtualenv (what the image adds)."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
import venv
from pathlib import Path

from .common import CACHE, REPO

REQUIREMENTS = REPO / "inference_container" / "requirements.txt"
TOOLING = {"pip", "setuptools", "pkg_resources", "_distutils_hack", "distutils-precedence.pth"}  # venv's own


def _size(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def run(target: Path = CACHE / "size-venv") -> dict:
    shutil.rmtree(target, ignore_errors=True)
    venv.create(target, with_pip=True)
    python = target / "bin" / "python"
    subprocess.run([str(python), "-m", "pip", "install", "-q", "--no-cache-dir", "-r", str(REQUIREMENTS)],
                   check=True)
    site = next((target / "lib").glob("python*/site-packages"))
    entries = {p.name: _size(p) for p in site.iterdir()}
    tooling = {k: v for k, v in entries.items() if k.split("-")[0] in TOOLING}
    ours = {k: v for k, v in entries.items() if k not in tooling}
    by_package: dict[str, int] = {}
    for name, size in ours.items():
        key = name.split(".libs")[0].split("-")[0].lower()
        by_package[key] = by_package.get(key, 0) + size
    shutil.rmtree(target, ignore_errors=True)
    def mb(size: int) -> float:
        return round(size / 1e6, 1)

    return {
        "python": sys.version.split()[0],
        "requirements_mb": mb(sum(ours.values())),
        "venv_tooling_mb (pip, setuptools; not in the image)": mb(sum(tooling.values())),
        "largest_mb": {k: mb(v) for k, v in sorted(by_package.items(), key=lambda kv: -kv[1])[:8]},
    }


if __name__ == "__main__":
    result = run()
    print(json.dumps(result, indent=2))
    if "--update-results" in sys.argv:
        from .report import update_section
        update_section("install_size", result)
