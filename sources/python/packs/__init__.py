"""Framework packs, run in this order on every module. Register a new pack here."""

from sources.python.packs.base import Pack
from sources.python.packs.cli import CliPack
from sources.python.packs.django import DjangoPack
from sources.python.packs.fastapi import FastApiPack
from sources.python.packs.flask import FlaskPack
from sources.python.packs.litestar import LitestarPack
from sources.python.packs.pytest import PytestPack
from sources.python.packs.svcs import SvcsPack

PACKS: tuple[Pack, ...] = (
    FastApiPack(),
    PytestPack(),
    CliPack(),
    SvcsPack(),
    FlaskPack(),
    DjangoPack(),
    LitestarPack(),
)
PACKS_BY_NAME = {pack.name: pack for pack in PACKS}

__all__ = ["PACKS", "PACKS_BY_NAME", "Pack"]
