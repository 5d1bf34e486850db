"""README.md promises commands, files and endpoints; each must exist."""

import re
from pathlib import Path

import typer

from api.main import create_app
from core.entry.cli import app

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_every_aduan_command_in_the_readme_exists():
    root = typer.main.get_command(app)
    mentioned = re.findall(r"\baduan((?: [a-z][a-z0-9-]*)+)", README)
    assert len(mentioned) > 20
    for words in mentioned:
        command, path = root, ["aduan"]
        for word in words.split():
            if not hasattr(command, "commands"):
                break  # the rest are arguments
            assert word in command.commands, f"README mentions `{' '.join(path)} {word}`, which does not exist"
            command, path = command.commands[word], [*path, word]


def test_every_linked_or_named_repository_path_exists():
    links = re.findall(r"\]\(((?!https?:|#)[^)]+)\)", README)
    named = re.findall(r"`((?:connectors|core|models|api|dashboard|examples|bench|tests|docs|alembic)/[\w./-]*)`",
                       README)
    named += re.findall(r"`(compose\.yaml|Dockerfile|Makefile|pyproject\.toml)`", README)
    assert links and named
    for target in {*links, *named}:
        if target == "bench/RESULTS.md":
            continue  # written by `make bench`
        assert (ROOT / target).exists(), f"README points at {target}, which does not exist"


def test_every_full_endpoint_path_in_the_readme_exists():
    routes = {re.sub(r"\{[^}]+\}", "{}", p) for p in create_app().openapi()["paths"]}
    for path in set(re.findall(r"(/(?:api/v1|open311/v2)/[\w{}./-]*\w)", README)):
        assert re.sub(r"\{[^}]+\}", "{}", path) in routes, f"README names {path}, which the API does not serve"
