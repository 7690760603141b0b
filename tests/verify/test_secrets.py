"""Stage 5: a secret in any message fails `secrets`, whatever earlier stage let it through."""

from __future__ import annotations

from curate.store import Store
from tests.verify.conftest import Record, find, verdict

STRIPE = "sk_live_" + "4eC39HqLyjWDarjtT1zdp7dc"


def test_a_secret_in_a_message_fails_secrets(mined: Store, records: dict[str, Record]) -> None:
    record = find(records, "direct:concept:python")
    assert verdict(mined, record) == (None, "")
    record["messages"][0]["content"] += f" My key is {STRIPE}."
    assert verdict(mined, record) == ("secrets", "message 1 (user) holds a secret: stripe_key")
