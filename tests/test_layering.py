"""Import direction between the subpackages of ``qtts`` (data flows one way): ``normalize`` imports none
of the others; ``runtime`` only ``normalize``; ``export`` (build time) the runtime's shared definitions;
the front ends (``server``) the runtime. Checked on the source, every import statement, lazy ones too;
and every import names the package ``qtts`` (a bare ``runtime`` would load a second copy of a module)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("normalize", "runtime", "export", "server")
ALLOWED = {
    "normalize": set(),
    "runtime": {"normalize"},
    "export": {"runtime", "normalize"},
    "server": {"runtime", "normalize"},
    "tests": set(PACKAGES),
}


def _imported_packages(path: Path) -> set[str]:
    """The subpackages ``path`` imports (``qtts.runtime.x`` -> runtime); a bare one as ``bare:runtime``."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            module = node.module or ""
            names = [f"{module}.{a.name}" for a in node.names] if module == "qtts" else [module]
        else:
            continue
        for n in names:
            parts = n.split(".")
            if parts[0] == "qtts" and len(parts) > 1 and parts[1] in PACKAGES:
                found.add(parts[1])
            elif parts[0] in PACKAGES:
                found.add(f"bare:{parts[0]}")
    return found


@pytest.mark.parametrize("package", [*PACKAGES, "tests"])
def test_imports_run_one_way(package: str) -> None:
    wrong = {
        f"{p.relative_to(ROOT)} imports {sorted(bad)}"
        for p in (ROOT / package).rglob("*.py")
        if (bad := _imported_packages(p) - ALLOWED[package] - {package})
    }
    assert not wrong, "\n".join(sorted(wrong))


def test_the_check_sees_lazy_imports(tmp_path: Path) -> None:
    f = tmp_path / "m.py"
    f.write_text("def f():\n    from qtts.export.quantize import plan\n    import qtts.server.app\n    from qtts import normalize\n    import runtime.plan\n")
    assert _imported_packages(f) == {"export", "server", "normalize", "bare:runtime"}
