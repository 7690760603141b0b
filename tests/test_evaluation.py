"""The evaluation's breakdowns, on hand-made model outputs: scores by language, domain and shape,
the eval table's group rows, and the phase table's per-language accuracy and regression line."""

from __future__ import annotations

from pathlib import Path

import pytest

from curate.evaluation import Evaluated, prompts_of, render_scores
from curate.mine import mine
from curate.mix import build, write_lockfile
from curate.report import PhaseRow, regressions, render_phases
from curate.store import Store
from curate.synth import run_synth
from tests.conftest import SAMPLE
from train.evaluate import Call, Case, Parsed, by_group, score

ROUTES = Call("find_routes", {})
FORMS = Call("find_forms", {})


def case(expected: Call | None, output: Parsed, language: str, domain: str, shape: str = "single") -> Case:
    return Case(expected, output, seconds=1.0, groups={"language": language, "domain": domain, "shape": shape})


CASES = [
    # Python: 3 of 4 right
    case(ROUTES, Parsed("call", [ROUTES]), "python", "shop"),
    case(ROUTES, Parsed("call", [ROUTES]), "python", "shop", "parallel"),
    case(None, Parsed("no_call"), "python", "asyncio"),
    case(None, Parsed("call", [ROUTES]), "python", "asyncio"),
    # HTML: 1 of 2 right
    case(FORMS, Parsed("call", [FORMS]), "html", "site"),
    case(FORMS, Parsed("no_call"), "html", "site"),
]


def test_scores_by_language_domain_and_shape_add_up_to_the_whole() -> None:
    languages = by_group(CASES, "language")
    assert list(languages) == ["html", "python"]
    assert (languages["python"].cases, languages["python"].accuracy) == (4, 0.75)
    assert (languages["html"].cases, languages["html"].accuracy) == (2, 0.5)
    assert languages["html"].call_recall == 0.5 and languages["python"].irrelevance_accuracy == 0.5
    domains = by_group(CASES, "domain")
    assert {name: found.cases for name, found in domains.items()} == {"asyncio": 2, "shop": 2, "site": 2}
    assert by_group(CASES, "shape")["parallel"].accuracy == 1.0
    assert sum(found.cases for found in languages.values()) == score(CASES).cases == 6
    assert by_group(CASES, "nothing") == {}


def test_the_eval_table_shows_each_group_beside_the_whole() -> None:
    phase6 = Evaluated(score(CASES), {"language": by_group(CASES, "language")})
    better = [*CASES[:5], case(FORMS, Parsed("call", [FORMS]), "html", "site")]
    phase7 = Evaluated(score(better), {"language": by_group(better, "language")})
    table = render_scores({"phase6": phase6, "phase7": phase7})
    lines = {line.split("  ")[0]: line.split() for line in table.splitlines()}
    assert lines["language html (2): accuracy"][-2:] == ["50.0%", "100.0%"]
    assert lines["language python (4): accuracy"][-2:] == ["75.0%", "75.0%"]
    assert lines["call / no-call accuracy"][-2:] == ["66.7%", "83.3%"]
    stored = phase7.stored()
    assert stored["accuracy"] == pytest.approx(5 / 6) and stored["groups"]["language"]["html"]["accuracy"] == 1.0


def row(mix: str, by_language: dict[str, tuple[float, int]]) -> PhaseRow:
    return PhaseRow(
        run_id=f"train-{mix}",
        mix=mix,
        model="tiny",
        status="finished",
        examples=None,
        domains=None,
        iterations=None,
        initial_val_loss=None,
        final_val_loss=None,
        best_val_loss=None,
        final_train_loss=None,
        peak_memory_gb=None,
        iterations_per_second=None,
        minutes=None,
        accuracy=None,
        call_f1=None,
        latency_p50=None,
        by_language=by_language,
    )


def test_the_phase_table_flags_a_language_that_fell_more_than_the_margin() -> None:
    phase6 = row("phase6", {"python": (0.80, 20)})
    phase7 = row("phase7", {"python": (0.70, 20), "html": (0.90, 10)})  # HTML is new: nothing to compare
    phase8 = row("phase8", {"python": (0.78, 20), "html": (0.88, 10)})  # within the margin
    assert regressions(phase6, phase7) == ["python -10.0%"]
    assert regressions(phase7, phase8) == [] and regressions(phase6, phase8) == []
    table = render_phases([phase6, phase7, phase8])
    lines = {
        line.split("|")[1].strip(): [cell.strip() for cell in line.split("|")[2:-1]] for line in table.splitlines()
    }
    assert lines["accuracy on html"] == ["-", "90.0% (10)", "88.0% (10)"]
    assert lines["accuracy on python"] == ["80.0% (20)", "70.0% (20)", "78.0% (20)"]
    assert lines["regression vs the phase before (> 5% drop)"] == ["-", "python -10.0%", "none"]


def test_a_prompt_language_is_the_audits(tmp_path: Path) -> None:
    """The tools its example calls say it; a direct answer takes its domain's mined files."""
    mixes = tmp_path / "mixes"
    mixes.mkdir()
    (mixes / "all.toml").write_text(
        'name = "all"\n[splits]\ntrain = 0.0\nvalid = 0.0\ntest = 1.0\n[[components]]\ncount = 60\n'
    )
    with Store.open(tmp_path / "s.duckdb") as store:
        mine(store, SAMPLE / "src", domain="shop", jobs=1)
        mine(store, SAMPLE.parent.parent / "html" / "site", domain="site", jobs=1)
        run_synth(store, "shop", 30, run_id="r1", seed=1)
        run_synth(store, "site", 30, run_id="r2", seed=1)
        write_lockfile(mixes, build(store, mixes, "all"))
        prompts = prompts_of(store, mixes, "all")
    found = {(prompt.groups["domain"], prompt.groups["language"]) for prompt in prompts}
    assert found == {("shop", "python"), ("site", "html")}
    assert {prompt.groups["shape"] for prompt in prompts} == {"single"}
