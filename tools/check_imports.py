"""What may import what (DESIGN.md "Layout, and what may import what"), checked on the AST.

- domain/ imports only the standard library;
- service/ imports only domain/ (and the standard library);
- adapters/ never import service/ or functions/;
- functions/* import crisis_pager and Powertools (and pydantic for API models) only;
- nothing under layers/ imports local/, admin/, tests/ or moto;
- admin/ (the CLI, on real tables) never imports local/, tests/ or moto.
Exit 1 naming every violation.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PKG = ROOT / "layers" / "shared" / "crisis_pager"
STDLIB = set(sys.stdlib_module_names) | {"__future__"}


def imports(path: Path) -> list[tuple[int, str]]:
    """(line, absolute dotted module) for every import, relative ones resolved."""
    tree = ast.parse(path.read_text(), filename=str(path))
    rel = path.relative_to(ROOT / "layers" / "shared") if PKG in path.parents else None
    package = list(rel.parts[:-1]) if rel else []
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            found.append((node.lineno, module))
    return found


def top(module: str) -> str:
    return module.split(".")[0]


def main() -> int:
    problems: list[str] = []

    def check(folder: Path, allowed: object, rule: str) -> None:
        for path in sorted(folder.rglob("*.py")):
            for line, module in imports(path):
                if not allowed(module):  # type: ignore[operator]
                    problems.append(f"{path.relative_to(ROOT)}:{line}: imports {module} ({rule})")

    check(PKG / "domain", lambda m: top(m) in STDLIB or m.startswith("crisis_pager.domain"),
          "domain is standard library only")
    check(PKG / "service", lambda m: top(m) in STDLIB or m.startswith(
        ("crisis_pager.domain", "crisis_pager.service")), "service imports only domain")
    check(PKG / "adapters", lambda m: not m.startswith(("crisis_pager.service", "functions")),
          "adapters never import service or functions")
    check(ROOT / "layers", lambda m: top(m) not in {"local", "tests", "moto", "admin"},
          "nothing shipped to Lambda imports local/, admin/, tests/ or moto")
    check(ROOT / "admin", lambda m: top(m) not in {"local", "tests", "moto"},
          "the admin CLI (real tables) never imports local/, tests/ or moto")
    beside = {p.stem for p in (ROOT / "functions").glob("*/*.py") if p.stem != "app"}
    check(ROOT / "functions", lambda m: top(m) in STDLIB | beside | {
        "crisis_pager", "aws_lambda_powertools", "pydantic"},
        "functions import crisis_pager, Powertools and the modules beside their app.py only")
    check(ROOT / "functions", lambda m: not m.startswith(
        ("crisis_pager.adapters", "crisis_pager.config")),
        "functions import neither adapters nor config (bootstrap and formats wire them)")
    for problem in problems:
        print(problem)
    if problems:
        print(f"{len(problems)} import rule violation(s)")
        return 1
    print("import rules: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
