"""List the imports between the modules of offsetgeo and rbo, and check the layering.

    python tools/check_imports.py            # the table, then the verdict; exit 1 on a problem

Read with :mod:`ast` (nothing is imported). Checked:

* **no cycle** among module-level imports of a package's modules (a sub-package counts as
  the modules it holds);
* **no function-level import** of a module of the same distribution (an import inside a
  function is how cycles are dodged); imports of other libraries inside functions are listed
  but allowed only for optional heavy dependencies named in ``OPTIONAL``;
* **offsetgeo never imports rbo**.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("offsetgeo", "rbo")
#: third-party modules that may be imported inside a function (optional, heavy, or GPU-only)
OPTIONAL = {"cupy"}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def resolve(module: str, node: ast.ImportFrom | ast.Import, is_package: bool) -> list[str]:
    """Absolute names imported by ``node`` in ``module`` (for ``from . import x`` both the
    package and ``package.x``, since ``x`` may be a sub-module)."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if node.level == 0:
        base = node.module or ""
    else:
        pkg = module.split(".") if is_package else module.split(".")[:-1]
        pkg = pkg[:len(pkg) - (node.level - 1)]
        base = ".".join(pkg + ([node.module] if node.module else []))
    return [base] + [f"{base}.{alias.name}" for alias in node.names]


def scan():
    """``(edges, inner)``: module-level import edges and function-level imports."""
    files = {module_name(p): p for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py")}
    edges, inner = {}, []
    for mod, path in sorted(files.items()):
        tree = ast.parse(path.read_text(), filename=str(path))
        is_package = path.name == "__init__.py"
        targets = set()
        for node in ast.walk(tree):
            if not isinstance(node, (ast.Import, ast.ImportFrom)):
                continue
            names = resolve(mod, node, is_package)
            local = [n for n in names if n.split(".")[0] in PACKAGES]
            depth = _function_depth(tree, node)
            if depth:
                inner.append((mod, node.lineno, names, bool(local)))
            else:
                targets.update(n for n in local if n in files)
        edges[mod] = sorted(targets - {mod})
    return files, edges, inner


def _function_depth(tree, target) -> bool:
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            if any(child is target for child in ast.walk(node)):
                return True
    return False


def cycles(edges: dict) -> list[list[str]]:
    """Every elementary cycle found by depth-first search (one representative per cycle)."""
    found, seen = [], set()
    state = {}

    def visit(node, stack):
        state[node] = 1
        stack.append(node)
        for nxt in edges.get(node, ()):
            if state.get(nxt) == 1:
                cyc = stack[stack.index(nxt):]
                key = frozenset(cyc)
                if key not in seen:
                    seen.add(key)
                    found.append(cyc + [nxt])
            elif state.get(nxt) is None:
                visit(nxt, stack)
        stack.pop()
        state[node] = 2

    for node in edges:
        if state.get(node) is None:
            visit(node, [])
    return found


def check() -> list[str]:
    """The problems found (empty when the layering holds)."""
    files, edges, inner = scan()
    problems = []
    for cyc in cycles(edges):
        problems.append("import cycle: " + " -> ".join(cyc))
    for mod, line, names, local in inner:
        third = {n.split(".")[0] for n in names} - set(PACKAGES)
        if local:
            problems.append(f"function-level import of the package in {mod}:{line}: {names[0]}")
        elif third - OPTIONAL:
            problems.append(f"function-level import in {mod}:{line}: {sorted(third)}")
    for mod, targets in edges.items():
        if mod.startswith("offsetgeo") and any(t.startswith("rbo") for t in targets):
            problems.append(f"offsetgeo imports rbo: {mod}")
    return problems


def main() -> int:
    files, edges, inner = scan()
    for mod in sorted(edges):
        print(f"{mod:36s} -> {', '.join(edges[mod]) or '-'}")
    if inner:
        print("\nfunction-level imports:")
        for mod, line, names, _ in inner:
            print(f"  {mod}:{line}: {names[0]}")
    problems = check()
    print()
    print("\n".join(problems) if problems else
          f"OK: {len(files)} modules, no import cycle, no function-level import of the "
          "package, offsetgeo does not import rbo")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
