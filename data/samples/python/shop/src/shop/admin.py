"""Administrative commands (Click)."""

import click


@click.group()
def admin() -> None:
    """Shop administration."""


@admin.command()
@click.argument("item_id", type=int)
def reprice_command(item_id: int) -> None:
    """Change an item's price."""


@admin.group()
def cache() -> None:
    """Cache maintenance."""


@cache.command(name="clear")
def clear_cache() -> None:
    """Empty the cache."""
