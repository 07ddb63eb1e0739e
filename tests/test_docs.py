"""Do the docs point only at what the repository has: files that exist, commands it installs?"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SKIP_DIRS = {".venv", ".git", "release", "autograded", "submitted", "feedback", "node_modules", ".pytest_cache"}
# A path in the repository: a top-level document, or a file under one of the project's folders.
PATH = re.compile(
    r"(?<![\w/.-])((?:[A-Z][A-Z_]+\.md)|(?:(?:docs|scripts|tests|certlab|\.ci)/[\w./-]+\.(?:md|py|sh|yml)))"
)
# Commands the docs may tell a reader to run: shell built-ins and basics, and what `make` installs.
BASICS = {"cd", ".", "source", "export", "make", "git", "bash", "python", "python3", "pip", "brew", "sudo",
          "apt-get", "wsl", "conda", "mamba", "jupyter"}  # fmt: skip


def text_files() -> list[Path]:
    out = []
    for folder, dirs, names in os.walk(REPO):
        dirs[:] = [d for d in dirs if d not in SKIP_DIRS]
        for name in names:
            path = Path(folder) / name
            if path.suffix in (".md", ".py", ".toml", ".yml", ".cfg") or name == "Makefile":
                out.append(path)
    return out


def test_no_reference_to_a_missing_file():
    """Does every repository path named in a document or docstring exist?"""
    missing = []
    for path in text_files():
        for match in PATH.finditer(path.read_text(errors="replace")):
            ref = match.group(1).rstrip(".")
            if any(mark in ref for mark in ("NN", "<", "*", "{")):
                continue  # a pattern, not a file
            if not (REPO / ref).exists():
                missing.append(f"{path.relative_to(REPO)} names {ref}")
    assert not missing, "\n".join(missing)


def commands(markdown: str) -> list[str]:
    blocks = re.findall(r"```(?:bash|sh|shell)\n(.*?)```", markdown, flags=re.S)
    out = []
    for block in blocks:
        for line in block.splitlines():
            line = line.strip()
            if line and not line.startswith("#"):
                out.append(line.split()[0])
    return out


@pytest.mark.parametrize("doc", ["README.md", "CONTRIBUTING.md", "docs/architecture.md"])
def test_commands_in_the_docs_exist(doc):
    """Is every command in a shell block of the docs one the repository installs (into .venv) or a
    basic of the shell, so that no doc asks for a tool the reader cannot get from here?"""
    venv_bin = Path(sys.executable).parent
    unknown = [
        cmd
        for cmd in commands((REPO / doc).read_text())
        if cmd not in BASICS and not (venv_bin / cmd).exists() and not cmd.startswith((".venv/", "./"))
    ]
    assert not unknown, f"{doc} asks for commands the repository does not provide: {sorted(set(unknown))}"
