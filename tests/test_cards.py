from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest

from curate.cards import AREAS_BY_LANGUAGE, load_cards
from curate.errors import InputError
from curate.intents import INTENTS
from curate.mine import mine
from curate.store import Store
from curate.synth import Synthesizer
from tests.conftest import REPO, SAMPLE

CARDS = load_cards()


def test_there_are_enough_cards_for_every_area() -> None:
    assert len(CARDS) >= 150
    areas = Counter(card.area for card in CARDS)
    assert set(areas) == set().union(*AREAS_BY_LANGUAGE.values())
    assert areas["python"] >= 40 and areas["html"] >= 40


def test_cards_are_well_formed() -> None:
    questions = Counter(question.casefold() for card in CARDS for question in card.questions)
    assert [question for question, count in questions.items() if count > 1] == []
    for card in CARDS:
        assert set(card.pairs_with) <= set(INTENTS), card.topic
        prose = re.sub(r"```.*?```", "", card.answer, flags=re.S)
        sentences = len(re.findall(r"[.!?](\s|$)", prose.strip()))
        assert 2 <= sentences <= 8, (card.topic, sentences)


def test_every_python_and_html_intent_has_a_card_to_pair_with() -> None:
    paired = {intent for card in CARDS for intent in card.pairs_with}
    assert paired >= {"async_functions", "routes", "fixtures", "forms", "tables", "images_without_alt"}


def test_no_card_names_anything_from_the_samples(tmp_path: Path) -> None:
    with Store.open(tmp_path / "s.duckdb") as store:
        mine(store, SAMPLE, domain="shop", jobs=1)
        mine(store, REPO / "data" / "samples" / "html" / "site", domain="site", jobs=1)
        for domain in ("shop", "site"):
            synthesizer = Synthesizer(store, domain, cards=CARDS)
            for card in synthesizer.cards:
                for number in range(len(card.questions)):
                    record = synthesizer.direct_example(card, number, bare=False).model_dump(
                        mode="json", exclude_none=True
                    )
                    outcome = synthesizer.verifier.verify(record)
                    assert outcome.passed, (card.topic, outcome.rejection)


def test_a_bad_card_is_an_error_naming_its_file(tmp_path: Path) -> None:
    (tmp_path / "python").mkdir()
    bad = tmp_path / "python" / "broken.toml"
    bad.write_text('topic = "broken"\narea = "python"\nquestions = ["only one?"]\nanswer = "x"\n')
    with pytest.raises(InputError, match=r"broken.toml: bad card: questions: List should have at least 3 items"):
        load_cards(tmp_path)
    bad.write_text('topic = "other"\narea = "python"\nquestions = ["a?", "b?", "c?"]\nanswer = "x"\n')
    with pytest.raises(InputError, match="topic 'other' must match the file name"):
        load_cards(tmp_path)
