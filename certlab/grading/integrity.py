"""Static integrity scan of answer cells: tampering with the test machinery.

A submission that rebinds what the tests rely on (``numpy.testing``, ``numpy``, ``math``,
``builtins``, ``sys.modules``, certlab or nbgrader internals), installs hooks that swallow errors,
runs hidden code, reads the course's notebooks, writes outside its folder or imports the data
generator (``certlab.datagen`` can rebuild the capstone's held-out labels) is flagged. A flagged
answer cell taints every test cell that runs after it: those get no credit (nbgrader's manual
score set to 0, with the reason as the cell's comment, so the formgrader shows it too).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from certlab.notebooks import is_answer, is_test, nbgrader_meta

PROTECTED = {
    "numpy", "math", "builtins", "sys", "certlab", "nbgrader", "pandas", "scipy", "sklearn",
    "torch", "tensorflow", "keras", "unittest", "pytest", "operator", "IPython", "nbformat",
}  # fmt: skip
HOOKS = {"set_custom_exc", "excepthook", "settrace", "setprofile", "register", "run_cell", "showtraceback"}
DYNAMIC = {"exec", "eval", "compile", "__import__"}
FILE_CHANGERS = {"remove", "unlink", "rmtree", "rename", "replace", "rmdir", "chmod", "chdir", "symlink"}
PREFIX = "certlab integrity: "
ANSWER_KEYS = "certlab.datagen"  # regenerates held-out labels


@dataclass(frozen=True)
class Flag:
    cell: str  # grade id of the answer cell
    line: int
    reason: str

    def __str__(self) -> str:
        where = f"{self.cell} line {self.line}" if self.line else f"after {self.cell}"
        return f"{where}: {self.reason}"


def _root_name(node: ast.AST) -> str | None:
    while isinstance(node, ast.Attribute | ast.Subscript):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


def _dotted(node: ast.AST) -> str:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
    return ".".join(reversed(parts))


def _suspicious_path(node: ast.AST) -> bool:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        text = node.value
        return text.startswith(("/", "~")) or ".." in text.split("/") or "source/" in text or text.endswith(".ipynb")
    if isinstance(node, ast.JoinedStr):
        return any(_suspicious_path(v) for v in node.values)
    if isinstance(node, ast.BinOp):
        return _suspicious_path(node.left) or _suspicious_path(node.right)
    return False


class _Scanner(ast.NodeVisitor):
    def __init__(self, modules: dict[str, str]):
        self.modules = modules  # alias -> module name, across the notebook so far
        self.found: list[tuple[int, str]] = []

    def _protected(self, name: str | None) -> bool:
        if name in ("__builtins__", "builtins"):
            return True
        module = self.modules.get(name or "")
        return bool(module) and module.split(".")[0] in PROTECTED

    def _answer_keys(self, node, module: str, verb: str = "imports") -> None:
        if module == ANSWER_KEYS or module.startswith(ANSWER_KEYS + "."):
            self.found.append((node.lineno, f"{verb} {module} (it can rebuild held-out labels)"))

    def visit_Import(self, node):
        for alias in node.names:
            self._answer_keys(node, alias.name)
            self.modules[alias.asname or alias.name.split(".")[0]] = (
                alias.name if alias.asname else alias.name.split(".")[0]
            )

    def visit_ImportFrom(self, node):
        for alias in node.names:
            full = f"{node.module}.{alias.name}" if node.module else alias.name
            self._answer_keys(node, full)
            self.modules[alias.asname or alias.name] = full

    def _target(self, target, verb):
        if isinstance(target, ast.Attribute | ast.Subscript) and self._protected(_root_name(target)):
            self.found.append((target.lineno, f"{verb} {_dotted(target) or _root_name(target)} (test machinery)"))
        elif isinstance(target, ast.Name) and target.id == "__builtins__":
            self.found.append((target.lineno, f"{verb} __builtins__"))
        elif isinstance(target, ast.Tuple | ast.List):
            for elt in target.elts:
                self._target(elt, verb)

    def visit_Assign(self, node):
        for target in node.targets:
            self._target(target, "rebinds")
        self.generic_visit(node)

    def visit_AugAssign(self, node):
        self._target(node.target, "rebinds")
        self.generic_visit(node)

    def visit_AnnAssign(self, node):
        self._target(node.target, "rebinds")
        self.generic_visit(node)

    def visit_Delete(self, node):
        for target in node.targets:
            self._target(target, "deletes")

    def visit_Call(self, node):
        func = node.func
        name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
        if name in ("setattr", "delattr") and node.args and self._protected(_root_name(node.args[0])):
            self.found.append((node.lineno, f"{name} on {_dotted(node.args[0])} (test machinery)"))
        elif name in DYNAMIC and isinstance(func, ast.Name):
            self.found.append((node.lineno, f"runs code from a string ({name})"))
        elif name in HOOKS and isinstance(func, ast.Attribute):
            self.found.append((node.lineno, f"installs a hook ({_dotted(func)})"))
        elif name in ("update", "pop", "setdefault", "__setitem__", "clear") and "sys.modules" in _dotted(func):
            self.found.append((node.lineno, "edits sys.modules"))
        elif name == "open" and node.args and _suspicious_path(node.args[0]):
            self.found.append((node.lineno, "opens a file outside its folder or a course notebook"))
        elif name in FILE_CHANGERS and node.args and (_suspicious_path(node.args[0]) or name == "chdir"):
            self.found.append((node.lineno, f"changes files outside its folder ({name})"))
        elif name in ("read", "reads") and "nbformat" in _dotted(func):
            self.found.append((node.lineno, "reads a notebook"))
        self.generic_visit(node)

    def visit_Attribute(self, node):
        root = self.modules.get(_root_name(node) or "", "")
        dotted = ".".join([root, *_dotted(node).split(".")[1:]]) if root else ""
        if isinstance(node.value, ast.Name) and dotted:
            self._answer_keys(node, dotted, "uses")
        if (
            node.attr in ("excepthook", "settrace", "setprofile")
            and _root_name(node) == "sys"
            and isinstance(node.ctx, ast.Store)
        ):
            self.found.append((node.lineno, f"replaces sys.{node.attr}"))
        self.generic_visit(node)


def scan(nb) -> list[Flag]:
    """Flags in the answer cells of a notebook (imports in any cell count for aliases)."""
    modules: dict[str, str] = {}
    flags: list[Flag] = []
    for cell in nb.cells:
        if cell.get("cell_type") != "code":
            continue
        source = "\n".join(line for line in cell.source.splitlines() if not line.lstrip().startswith(("%", "!")))
        try:
            tree = ast.parse(source)
        except SyntaxError:
            continue  # a syntax error costs the cell its points already
        scanner = _Scanner(modules)
        scanner.visit(tree)
        if is_answer(cell):
            gid = nbgrader_meta(cell).get("grade_id", "?")
            flags += [Flag(gid, line, reason) for line, reason in scanner.found]
    return flags


def tainted_cells(nb, flags: list[Flag]) -> list[str]:
    """Grade ids of the test cells that run after the first flagged answer cell."""
    flagged = {f.cell for f in flags}
    tainted, seen_flag = [], False
    for cell in nb.cells:
        if is_answer(cell) and nbgrader_meta(cell).get("grade_id") in flagged:
            seen_flag = True
        elif seen_flag and is_test(cell):
            tainted.append(nbgrader_meta(cell)["grade_id"])
    return tainted


def apply(db_url: str, assignment: str, student: str, notebook: str, nb, tampering: dict | None = None) -> list[Flag]:
    """Scan a submitted notebook and withdraw credit from tainted test cells in the gradebook.

    ``tampering``: what the run-time canaries found in this notebook
    (:func:`certlab.grading.canaries.take_findings`); its test cells lose their credit too and
    its reason joins the static flags."""
    flags = scan(nb)
    tainted = set(tainted_cells(nb, flags)) if flags else set()
    if tampering:
        flags.append(Flag(tampering["cell"], 0, tampering["reason"]))
        tainted.update(tampering["tainted"])
    if not flags:
        return flags
    from nbgrader.api import MissingEntry

    from certlab.grading.nbgrader_io import open_gradebook

    with open_gradebook(db_url) as gb:
        for gid in sorted(tainted):
            try:
                grade = gb.find_grade(gid, notebook, assignment, student)
            except MissingEntry:
                continue
            grade.manual_score = 0.0
        for cell in {f.cell for f in flags}:
            try:
                comment = gb.find_comment(cell, notebook, assignment, student)
            except MissingEntry:
                continue
            comment.manual_comment = PREFIX + "; ".join(f.reason for f in flags if f.cell == cell)
        gb.db.commit()
    return flags


def flagged_students(db_url: str) -> dict[tuple[str, str], list[str]]:
    """(student, assignment) -> integrity notes recorded in the gradebook."""
    from certlab.grading.nbgrader_io import open_gradebook

    out: dict[tuple[str, str], list[str]] = {}
    with open_gradebook(db_url) as gb:
        for assignment in gb.assignments:
            for sub in assignment.submissions:
                for nb in sub.notebooks:
                    for comment in nb.comments:
                        if (comment.manual_comment or "").startswith(PREFIX):
                            out.setdefault((sub.student.id, assignment.name), []).append(
                                comment.manual_comment[len(PREFIX) :]
                            )
    return out
