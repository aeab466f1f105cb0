"""The house: the package's folders are the chain's stages, imports run one way and in no circle, and
every module imports at its top (the command line alone loads a command's module when it runs)."""
import ast
from pathlib import Path

import grimp

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "scribblegap"


def test_no_module_imports_a_project_module_inside_a_function():
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text())
        top = set(tree.body)
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node not in top and (node.level or
                                                                        (node.module or "").startswith("scribblegap")):
                found.append(f"{path.relative_to(PACKAGE)}:{node.lineno}")
            elif isinstance(node, ast.Import) and node not in top and any(a.name.startswith("scribblegap")
                                                                          for a in node.names):
                found.append(f"{path.relative_to(PACKAGE)}:{node.lineno}")
    assert not found, f"imports of project modules inside functions: {found}"


def circles(edges: dict) -> list[list[str]]:
    """The strongly connected components of more than one node of a directed graph (Tarjan)."""
    counter, stack, on_stack, low, order, found = [0], [], set(), {}, {}, []

    def visit(m):
        order[m] = low[m] = counter[0]
        counter[0] += 1
        stack.append(m)
        on_stack.add(m)
        for n in edges[m]:
            if n not in order:
                visit(n)
                low[m] = min(low[m], low[n])
            elif n in on_stack:
                low[m] = min(low[m], order[n])
        if low[m] == order[m]:
            component = []
            while True:
                n = stack.pop()
                on_stack.discard(n)
                component.append(n)
                if n == m:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for m in sorted(edges):
        if m not in order:
            visit(m)
    return found


def test_the_circle_finder_finds_a_circle():
    assert circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert circles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycles():
    graph = grimp.build_graph("scribblegap")
    edges = {m: graph.find_modules_directly_imported_by(m) & graph.modules for m in graph.modules}
    assert len(edges) > 50 and not circles(edges), f"import circles: {circles(edges)}"


def test_the_folders_are_the_stages():
    folders = {p.name for p in PACKAGE.iterdir() if p.is_dir() and (p / "__init__.py").is_file()}
    assert folders == {"core", "data", "scribbles", "annotators", "network", "pseudolabels", "experiment", "report",
                       "cli"}
    loose = {p.name for p in PACKAGE.glob("*.py")}
    assert loose == {"__init__.py", "__main__.py", "pipeline.py"}  # the chain composed, above every stage
