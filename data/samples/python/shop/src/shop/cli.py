"""The shop's command line (Typer)."""

import typer

app = typer.Typer(help="Manage the shop.")
users = typer.Typer(name="users")
app.add_typer(users)


@app.command()
def serve(port: int = 8000) -> None:
    """Run the API."""


@app.command("import")
def import_items(path: str) -> None:
    """Import items from a CSV file."""


@users.command()
def add_user(name: str) -> None:
    """Create a user."""


def remove_user(name: str) -> None:
    """Delete a user."""


users.command("rm")(remove_user)
