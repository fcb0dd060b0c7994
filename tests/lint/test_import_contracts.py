"""The import-linter contracts in pyproject.toml, run on a small tree that breaks each of them."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MODULES = {
    "hazelnut/__init__.py": "",
    "hazelnut/urls.py": 'ROUTES = ["ingest.urls"]\n',
    "hazelnut/leaky.py": "import attribution.installs\n",
    "ingest/__init__.py": "",
    "ingest/views.py": "import attribution.installs\nimport postbacks.delivery\n",
    "attribution/__init__.py": "",
    "attribution/api.py": "import postbacks.api\n",
    "attribution/contracts.py": "",
    "attribution/installs.py": "import ingest.views\n",
    "attribution/models/__init__.py": "",
    "attribution/models/install.py": "",
    "postbacks/__init__.py": "",
    "postbacks/api.py": "",
    "postbacks/models.py": "import attribution.models\n",
    "postbacks/delivery.py": "import attribution.contracts\nimport attribution.models.install\n",
    "analytics/__init__.py": "",
    "analytics/forward.py": "import attribution.api\nimport postbacks.delivery\n",
}


def run_contracts(tree: Path) -> subprocess.CompletedProcess[str]:
    shutil.copy(ROOT / "pyproject.toml", tree / "pyproject.toml")
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    roots = config["tool"]["importlinter"]["root_packages"]
    modules = {f"{package}/__init__.py": "" for package in roots} | MODULES
    for path, source in modules.items():
        (tree / path).parent.mkdir(parents=True, exist_ok=True)
        (tree / path).write_text(source)
    lint_imports = Path(sys.executable).parent / "lint-imports"
    return subprocess.run(
        [str(lint_imports), "--no-cache", "--no-logo"],
        cwd=tree,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "PYTHONPATH": str(tree)},
    )


def broken_imports(report: str) -> set[str]:
    """The first import of each reported chain: the line a developer has to change."""
    return set(re.findall(r"^-\s+(\S+ -> \S+)", report, flags=re.MULTILINE))


def test_each_layering_contract_catches_its_breach(tmp_path: Path) -> None:
    done = run_contracts(tmp_path)

    assert done.returncode == 1
    assert broken_imports(done.stdout) == {
        "hazelnut.leaky -> attribution.installs",
        "attribution.installs -> ingest.views",
        "postbacks.delivery -> attribution.models.install",
        "analytics.forward -> postbacks.delivery",
    }
