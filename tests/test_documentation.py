"""What the README and docs/ show exists: every `zdt` command and option, every path and link.

The commands are resolved against the `zdt` group with the installed projects' commands (the
catalog's `demo`, `populate`, `token`), without running them: a renamed or removed option fails
here rather than in a reader's shell.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import click
import pytest

from zerodowntime.cli.main import project_cli

ROOT = Path(__file__).resolve().parents[1]
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
CODE = re.compile(r"```[a-z]*\n(.*?)```|`([^`\n]+)`", re.S)
ZDT = re.compile(r"(?:^|[\s(;&|]|\.venv/bin/)zdt((?: +[^ #;&|)`]+)*)")
LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")
REPOSITORY_FOLDERS = ("src/", "example/", "tests/", "bench/", "docs/", "scripts/", ".ci/")
PLACEHOLDER = re.compile(r"[<>*{}]|\.\.\.")


def code_of(document: Path) -> Iterator[str]:
    """Yield the text of each code block and inline code span of ``document``."""
    for match in CODE.finditer(document.read_text()):
        yield match.group(1) or match.group(2)


def zdt_command_lines(document: Path) -> Iterator[list[str]]:
    """Yield the words after `zdt` of each command shown in ``document``'s code."""
    for chunk in code_of(document):
        for line in chunk.splitlines():
            for match in ZDT.finditer(line):
                yield match.group(1).split()


def problems_of(words: list[str], group: click.Group) -> list[str]:
    """Return what is wrong with `zdt WORDS`: an unknown command or option."""
    command: click.Command = group
    path = ["zdt"]
    while words and isinstance(command, click.Group) and not words[0].startswith("-"):
        sub = command.get_command(click.Context(command), words[0])
        if sub is None:
            return [f"`{' '.join(path)}` has no command {words[0]!r}"] if command is group else []
        command = sub
        path.append(words.pop(0))
    options = {opt for param in command.params for opt in (*param.opts, *param.secondary_opts)}
    options |= {"--help", "-h"}
    return [
        f"`{' '.join(path)}` has no option {word.split('=')[0]}"
        for word in words
        if word.startswith("-") and word.split("=")[0].rstrip(",.") not in options
    ]


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda path: path.name)
def test_every_zdt_command_shown_exists_with_its_options(document: Path) -> None:
    group = project_cli()
    lines = list(zdt_command_lines(document))
    problems = [problem for words in lines for problem in problems_of(list(words), group)]
    assert not problems, f"{document.name}: {problems}"


def test_the_readme_shows_the_commands_of_a_first_hour() -> None:
    shown = {tuple(words[:1]) for words in zdt_command_lines(ROOT / "README.md") if words}
    for command in ("demo", "migrate", "rollback", "rehearse", "upgrade", "check", "status"):
        assert (command,) in shown, f"the README never shows `zdt {command}`"


def test_a_removed_option_is_caught() -> None:
    group = project_cli()
    assert problems_of(["migrate", "--release", "0.1.0"], group) == []
    assert problems_of(["migrate", "--to-release", "0.1.0"], group) == [
        "`zdt migrate` has no option --to-release"
    ]
    assert problems_of(["migrat"], group) == ["`zdt` has no command 'migrat'"]


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda path: path.name)
def test_every_path_and_link_shown_exists(document: Path) -> None:
    missing = [
        target
        for target in LINK.findall(document.read_text())
        if not target.startswith(("http://", "https://", "mailto:"))
        and not (document.parent / target).exists()
    ]
    for chunk in code_of(document):
        if "\n" in chunk:
            continue  # blocks hold commands and sample output, not references
        for word in chunk.split():
            word = word.strip(",.;:()").split("::")[0]
            named = word.startswith(REPOSITORY_FOLDERS) and not PLACEHOLDER.search(word)
            if named and not (ROOT / word).exists():
                missing.append(word)
    assert not missing, f"{document.name} names what is not in the repository: {missing}"
