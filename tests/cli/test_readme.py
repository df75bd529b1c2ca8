"""README.md's command table and the examples in README.md and docs/ match the CLI: the same commands in the same
order, options that exist, choices as declared, and every example line a command line the CLI accepts."""
from __future__ import annotations

import argparse
import re
import shlex
from pathlib import Path

import pytest

from videoalert_cli.main import COMMANDS, build_parser

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text()
# The manual's pages: their `videoalert ...` spans and examples are held to the same check as README's.
DOCS = {path.name: path.read_text() for path in sorted((ROOT / "docs").glob("*.md"))}


def subcommands() -> dict[str, argparse.ArgumentParser]:
    """Each command's parser; a command with actions of its own (`camera add`, ...) is there once per action."""
    parser = build_parser()
    (action,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    found: dict[str, argparse.ArgumentParser] = {}
    for name, sub in action.choices.items():
        nested = [a for a in sub._actions if isinstance(a, argparse._SubParsersAction)]
        found.update({f"{name} {inner}": p for inner, p in nested[0].choices.items()} if nested else {name: sub})
    return found


def command_of(words: list[str]) -> str | None:
    """The command a `videoalert ...` line runs: its first word, with its action for a command that has them."""
    plain = [w for w in words[1:] if not w.startswith("-")]
    if not plain:
        return None
    if len(plain) > 1 and f"{plain[0]} {plain[1].strip('[]')}" in subcommands():
        return f"{plain[0]} {plain[1].strip('[]')}"
    return plain[0]


def command_table() -> list[tuple[str, str]]:
    """(usage cell, description) of each row of the table under '## Command line'."""
    section = README.split("## Command line", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| `(videoalert [^`]+)` \| (.+) \|$", section, re.MULTILINE)
    assert rows, "no command table under '## Command line'"
    return rows


def options_of(parser: argparse.ArgumentParser) -> dict[str, argparse.Action]:
    return {o: a for a in parser._actions for o in a.option_strings}


def check_usage(text: str) -> list[str]:
    """Problems of one `videoalert ...` usage or example span: unknown command, option, or choices."""
    words = text.replace("\\|", "|").split()
    parsers, problems = subcommands(), []
    command = command_of(words)
    if command is None or command == "COMMAND" or ": error:" in text:  # the generic form, or an error line shown
        return problems
    if command not in parsers:
        return [f"{text}: no command {command!r}"]
    options = {**options_of(parsers[command]), **options_of(build_parser())}
    for index, word in enumerate(words):
        option = word.strip("[]")
        if not option.startswith("--"):
            continue
        if option not in options:
            problems.append(f"{text}: {command} has no option {option}")
            continue
        following = words[index + 1].strip("[]") if index + 1 < len(words) else ""
        choices = options[option].choices
        listed = following.split("|") if "|" in following and following.split("|")[0].islower() else None
        if listed is not None and (choices is None or listed != list(choices)):
            problems.append(f"{text}: {option} takes {list(choices or [])}, the README says {following}")
    return problems


def test_the_table_has_every_command_once_in_the_order_of_help():
    commands = [command_of(usage.split()) for usage, _ in command_table()]
    assert commands == list(subcommands())
    assert list(dict.fromkeys(c.split()[0] for c in commands)) == [name for name, _ in COMMANDS]


def test_each_row_names_the_commands_positionals_and_real_options_with_their_choices():
    parsers = subcommands()
    problems = []
    for usage, _ in command_table():
        problems += check_usage(usage)
        command = command_of(usage.split())
        positionals = [(a.metavar or a.dest).upper() for a in parsers[command]._actions
                       if not a.option_strings and not isinstance(a, argparse._HelpAction)]
        words = usage.split()
        shown = [w.strip("[]") for before, w in zip(words[1:], words[2:], strict=False)
                 if re.fullmatch(r"\[?[A-Z][A-Z_]*\]?", w) and not before.strip("[").startswith("-")]
        if shown != positionals:
            problems.append(f"{usage}: positionals {shown}, the CLI has {positionals}")
    assert problems == []


def test_every_videoalert_span_in_the_text_names_a_real_command_and_real_options():
    spans = re.findall(r"`(videoalert [^`]+)`", README)
    assert len(spans) > 20
    problems = [p for span in spans for p in check_usage(span)]
    assert problems == []


@pytest.mark.parametrize("page", sorted(DOCS))
def test_every_videoalert_span_in_the_docs_names_a_real_command_and_real_options(page):
    spans = re.findall(r"`(videoalert [^`]+)`", DOCS[page])
    assert [p for span in spans for p in check_usage(span)] == []


def example_lines(text: str = README) -> list[str]:
    blocks = re.findall(r"```(?:bash|sh)\n(.*?)```", text, re.DOTALL)
    lines = [line.split("#")[0].split(" | ")[0].strip() for block in blocks for line in block.splitlines()]
    return [line for line in lines if line.startswith("videoalert ")]


@pytest.mark.parametrize("line", example_lines() + [line for text in DOCS.values() for line in example_lines(text)])
def test_every_example_command_line_is_accepted_by_the_cli(line):
    # parse_args raises (a usage error) on anything the CLI would refuse
    args = build_parser().parse_args(shlex.split(line)[1:])
    assert args.command in shlex.split(line)


def test_there_are_examples_of_the_conventions():
    lines = example_lines()
    assert len(lines) >= 8
    assert any("--json" in x for x in lines) and any("--local" in x for x in lines)
    assert any("--profile" in x for x in lines) and any("--since" in x for x in lines)
