"""Click and Typer commands in any scope: groups and apps made inside functions, subgroups at any
depth with their full command path, `add_command` / `add_typer` mounts, Flask's CLI; and the miner
against the independent `ast` oracle (tests/cli_oracle.py) on real code."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

from curate.mine import mine
from curate.store import Store
from curate.tools import call_tool
from schemas import Fact
from sources.python.link import link
from tests.cli_oracle import CliRow, cli_oracle
from tests.conftest import SAMPLE, extract, line_of, of_kind
from tests.sdists import unpacked

Row = tuple[str, int, str, str, str]
"""(full_name, line, function, framework, group)"""


def linked_commands(source: str) -> list[Row]:
    """The commands of a snippet after linking, which settles full names."""
    facts = extract(source)
    linked = link(facts)
    changed = {(fact.kind, fact.qualname, fact.line): fact for fact in linked.changed}
    commands: list[Fact] = [changed.get((f.kind, f.qualname, f.line), f) for f in [*facts, *linked.added]]
    return [
        (f.detail["full_name"], f.line, f.detail["function"], f.detail["framework"], f.detail["group"])
        for f in of_kind(commands, "cli_command")
    ]


def test_a_click_group_made_in_a_factory_with_groups_three_deep() -> None:
    source = """
    import click

    def create_cli():
        @click.group()
        def cli(): ...

        @cli.group()
        def users(): ...

        @users.group("admin")
        def admin_group(): ...

        @admin_group.command()
        def add_user(): ...

        @users.command(name="ls")
        def list_users(): ...

        return cli
    """
    local = "m.create_cli.<locals>"
    assert linked_commands(source) == [
        ("cli", line_of(source, "def cli"), "create_cli.<locals>.cli", "click", ""),
        ("users", line_of(source, "def users"), "create_cli.<locals>.users", "click", f"{local}.cli"),
        (
            "users admin",
            line_of(source, "def admin_group"),
            "create_cli.<locals>.admin_group",
            "click",
            f"{local}.users",
        ),
        (
            "users admin add-user",
            line_of(source, "def add_user"),
            "create_cli.<locals>.add_user",
            "click",
            f"{local}.admin_group",
        ),
        ("users ls", line_of(source, "def list_users"), "create_cli.<locals>.list_users", "click", f"{local}.users"),
    ]


def test_two_functions_local_groups_of_one_name_do_not_meet() -> None:
    source = """
    import click

    @click.group()
    def cli(): ...

    def first():
        @click.group()
        def cli(): ...

        @cli.group()
        def db(): ...

        @db.command()
        def migrate(): ...

    def second():
        @click.group()
        def cli(): ...

        @cli.command()
        def migrate(): ...

    @cli.command()
    def top(): ...
    """
    assert [(row[0], row[2]) for row in linked_commands(source)] == [
        ("cli", "cli"),
        ("cli", "first.<locals>.cli"),
        ("db", "first.<locals>.db"),
        ("db migrate", "first.<locals>.migrate"),
        ("cli", "second.<locals>.cli"),
        ("migrate", "second.<locals>.migrate"),
        ("top", "top"),
    ]


def test_add_command_with_a_name_and_group_instances() -> None:
    source = """
    import click
    from flask.cli import FlaskGroup

    def build():
        cli = click.Group("cli")
        tools = click.Group("tools")
        flask_group = FlaskGroup(name="flask")
        cli.add_command(tools)
        cli.add_command(flask_group)

        @click.command("init-db")
        def init_db_command(): ...

        @click.group()
        def cache_group(): ...

        @cache_group.command()
        def clear(): ...

        tools.add_command(init_db_command, "init")
        tools.add_command(cache_group, name="cache")

        @flask_group.command()
        def show(): ...

        def report(): ...
        cli.command("report")(report)
        cli.command()(report)
    """
    assert [row[:2] for row in linked_commands(source)] == [
        ("tools init", line_of(source, "def init_db_command")),
        ("tools cache", line_of(source, "def cache_group")),
        ("tools cache clear", line_of(source, "def clear")),
        ("flask show", line_of(source, "def show")),
        ("report", line_of(source, 'cli.command("report")')),
        ("report", line_of(source, "cli.command()(report)")),
    ]


def test_flask_app_and_blueprint_cli() -> None:
    source = """
    import click
    from flask import Blueprint, Flask

    app = Flask(__name__)
    students = Blueprint("students", __name__)
    custom = Blueprint("custom", __name__, cli_group="customized")
    merged = Blueprint("merged", __name__, cli_group=None)

    @app.cli.command("init-db")
    def init_db(): ...

    @students.cli.command("create")
    def create(): ...

    @custom.cli.command()
    def custom_command(): ...

    @merged.cli.command("merged")
    def merged_command(): ...

    def test_hello(app):
        @app.cli.command()
        def hello_command(): ...
    """
    assert [(row[0], row[3], row[4]) for row in linked_commands(source)] == [
        ("init-db", "click", "m.app.cli"),
        ("students create", "click", "m.students.cli"),
        ("customized custom", "click", "m.custom.cli"),
        ("merged", "click", "m.merged.cli"),
        ("hello", "click", "m.app.cli"),
    ]


def test_typer_apps_made_inside_functions() -> None:
    source = """
    import typer

    app = typer.Typer()

    def make():
        app = typer.Typer()
        users = typer.Typer(name="users")
        app.add_typer(users)
        admin = typer.Typer()
        users.add_typer(admin, name="admin")
        plain = typer.Typer()
        app.add_typer(plain)

        @admin.command()
        def grant_role(): ...

        @plain.command()
        def merged_in(): ...

        def remove(): ...
        users.command("rm")(remove)
        return app

    @app.command()
    def serve(): ...
    """
    assert [(row[0], row[2], row[4]) for row in linked_commands(source)] == [
        ("users admin grant-role", "make.<locals>.grant_role", "m.make.<locals>.admin"),
        ("merged-in", "make.<locals>.merged_in", "m.make.<locals>.plain"),
        ("users rm", "remove", "m.make.<locals>.users"),
        ("serve", "serve", "m.app"),
    ]


def test_look_alikes_are_not_commands() -> None:
    source = """
    import click
    import typer

    class Registry:
        def command(self, *args): ...
        def group(self, *args): ...

    registry = Registry()

    @registry.command()
    def not_a_command(): ...

    def uses_a_parameter(cli):
        @cli.group()
        def unknown_group(): ...

    def build():
        app = typer.Typer()
        handler = pick()
        app.command()(handler)

        @app.callback()
        def main(): ...

        @app.group()
        def typer_has_no_group(): ...

    def unrelated():
        app = object()

        @app.cli.command()
        def no_flask_here(): ...
    """
    assert linked_commands(source) == []


def test_a_click_group_imported_from_another_module() -> None:
    main = extract("import click\n\n@click.group()\ndef cli(): ...\n", path="pkg/main.py", module="pkg.main")
    sub = extract(
        """
        from pkg.main import cli

        @cli.group()
        def db_group(): ...

        @db_group.command()
        def sync_command(): ...
        """,
        path="pkg/db.py",
        module="pkg.db",
    )
    facts = [*main, *sub]
    linked = link(facts)
    changed = {(fact.kind, fact.qualname, fact.line): fact for fact in linked.changed}
    commands = [changed.get((f.kind, f.qualname, f.line), f) for f in of_kind([*facts, *linked.added], "cli_command")]
    assert sorted((f.detail["full_name"], f.detail["framework"], f.detail["is_group"]) for f in commands) == [
        ("cli", "click", True),
        ("db", "click", True),
        ("db sync", "click", False),
    ]


# -- the miner against the oracle, on real code --------------------------------------------------
def package_folder(name: str) -> Path:
    module = importlib.import_module(name)
    assert module.__file__ is not None
    return Path(module.__file__).parent


def mined_commands(store: Store, root: Path, domain: str) -> set[CliRow]:
    mine(store, root, domain=domain, name=domain, jobs=1)
    found = call_tool(store, domain, "find_cli_commands", {}, limit=0).matches
    return {(m["path"], m["line"], m["name"], m["function"], m["framework"]) for m in found}


def compare(store: Store, root: Path, domain: str) -> tuple[set[CliRow], float, float]:
    expected = cli_oracle(str(root)).commands
    got = mined_commands(store, root, domain)
    both = len(expected & got)
    recall = both / len(expected) if expected else 1.0
    precision = both / len(got) if got else 1.0
    print(f"{domain}: oracle {len(expected)}, miner {len(got)}, recall {recall:.3f}, precision {precision:.3f}")
    missing, extra = sorted(expected - got), sorted(got - expected)
    assert recall >= 0.98 and precision >= 0.98, f"{domain}: missing {missing}, extra {extra}"
    return expected, recall, precision


@pytest.mark.slow
def test_flask_sdist_matches_the_oracle(store: Store, tmp_path: Path) -> None:
    expected, _, _ = compare(store, unpacked("flask", tmp_path), "flask")
    assert len(expected) >= 20
    assert ("tests/test_cli.py", 334, "subgroup test2", "test_appgroup_app_context.<locals>.test2", "click") in expected
    assert ("examples/tutorial/flaskr/db.py", 42, "init-db", "init_db_command", "click") in expected


@pytest.mark.slow
@pytest.mark.parametrize("package", ["typer", "click"])
def test_installed_cli_packages_match_the_oracle(store: Store, package: str) -> None:
    expected, _, _ = compare(store, package_folder(package), package)
    if package == "typer":
        assert ("cli.py", 279, "utils docs", "docs", "typer") in expected


def test_the_shop_sample_matches_the_oracle(store: Store) -> None:
    expected, recall, precision = compare(store, SAMPLE, "shop")
    assert (recall, precision) == (1.0, 1.0)
    assert {row[2] for row in expected} == {
        "serve",
        "import",
        "users add-user",
        "users rm",
        "admin",
        "reprice",
        "cache",
        "cache clear",
    }
