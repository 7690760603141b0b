"""Knowledge cards from `data/cards/` (one TOML file a topic): the source of direct answers."""

from __future__ import annotations

import tomllib
from pathlib import Path

from pydantic import ValidationError

from curate.errors import InputError
from schemas import Card

CARDS_DIR = Path(__file__).resolve().parent.parent / "data" / "cards"
AREAS_BY_LANGUAGE = {
    "python": frozenset({"python", "fastapi", "pytest", "cli", "svcs", "pydantic", "engineering"}),
    "html": frozenset({"html"}),
}


def load_cards(folder: Path = CARDS_DIR) -> list[Card]:
    """Every card under `folder`, sorted by topic; a bad card is an error naming its file."""
    cards: dict[str, tuple[Card, Path]] = {}
    for path in sorted(folder.rglob("*.toml")):
        try:
            card = Card.model_validate(tomllib.loads(path.read_text("utf-8")))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
            raise InputError(f"not a card: {error}", path=str(path)) from None
        except ValidationError as error:
            problem = error.errors()[0]
            where = ".".join(str(part) for part in problem["loc"])
            raise InputError(f"bad card: {where}: {problem['msg']}", path=str(path)) from None
        if card.topic != path.stem:
            raise InputError(f"topic {card.topic!r} must match the file name", path=str(path))
        if card.topic in cards:
            raise InputError(f"topic {card.topic!r} repeats {cards[card.topic][1]}", path=str(path))
        cards[card.topic] = (card, path)
    return [cards[topic][0] for topic in sorted(cards)]


def cards_for(cards: list[Card], languages: set[str]) -> list[Card]:
    areas = frozenset().union(*(AREAS_BY_LANGUAGE.get(language, frozenset()) for language in languages))
    return [card for card in cards if card.area in areas]
