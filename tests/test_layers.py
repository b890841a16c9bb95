"""The project's one-way dependencies (docs/architecture.md): pages do not reach into the API
modules, and nothing but the demo itself imports the demo."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
APPS = ["waterways", "people", "patrols", "problems", "reports", "riverwatch"]


def imported_modules(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = ".".join(path.relative_to(ROOT).with_suffix("").parts[:-1])
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1] + ([base] if base else []))
            yield base
            yield from (f"{base}.{alias.name}" for alias in node.names)


def python_files(app):
    return [path for path in (ROOT / app).rglob("*.py") if "migrations" not in path.parts]


@pytest.mark.parametrize("app", APPS)
def test_no_domain_app_imports_the_demo(app):
    offenders = {str(path.relative_to(ROOT)): name for path in python_files(app)
                 for name in imported_modules(path) if name == "demo" or name.startswith("demo.")}
    assert offenders == {}


def test_page_views_do_not_import_api_modules():
    views = [path for app in APPS for path in python_files(app) if path.stem.endswith("views")]
    assert len(views) >= 5
    offenders = {str(path.relative_to(ROOT)): name for path in views for name in imported_modules(path)
                 if "api" in name.split(".") and not name.startswith("rest_framework")}
    assert offenders == {}
