"""The demo's base model: a tiny model trained once, by this script, on examples the demo's phases never
hold, and shipped in `data/models/demo-base/`, as an instruct model is downloaded once.

A randomly initialised model learns nothing the demo can show in a few minutes of CPU training (its
embeddings are random, and LoRA leaves them frozen). So, as a model maker trains a base before
anyone fine-tunes it, this script:

1. mines other code (standard-library packages the phases never mine, the installed Click and
   Starlette, the repository's Flask and Django samples; no HTML: the HTML tools stay the new
   capability phase 7 brings) and synthesizes verified examples of every shape from it, each
   offering the tools it calls and two others, as the quickstart's do;
2. leaves out every example that asks a user turn (normalized) the quickstart's phase mixes test or
   validate on, so the phases' scores measure what the base never saw;
3. trains a byte-level BPE tokenizer on those rows and on curate's tool catalog, builds the model
   with the compact chat template (each tool on one line: rows of about 190 tokens instead of 700,
   so a CPU can afford several epochs), and trains every weight of it (`train.pretrain`) on each
   example up to its first assistant turn (the call/no-call decision the demo's test scores), an
   answer in words cut to its first sentence (`turns="opening"`) so that the decision, not the
   prose, carries the loss;
4. writes `base.json`: what it was trained on, and the sha256 of every normalized user turn it
   learned, so the demo can show that the phases' test turns are not among them.

Usage: uv run python -m curate.demo_base [--out data/models/demo-base] [--iters N] [--learning-rate X]
       [--from FOLDER]   (train a base built here further, on the same rows)
Everything is seeded: the same repository and packages give the same model.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib
import json
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

from curate.dedup import normalize
from curate.export import rows_of
from curate.mine import mine
from curate.mix import read_lockfile
from curate.quickstart import DISTRACTORS, SAMPLES, SHAPE_MIX, curate_and_export, mine_samples, synthesize_samples
from curate.split import user_turns
from curate.store import Store
from curate.synth import run_synth
from curate.tools import catalog
from train.model import TinyModel, build_tiny_model
from train.pretrain import PretrainSettings, pretrain

DEMO_BASE = Path(__file__).resolve().parent.parent / "data" / "models" / "demo-base"
SHAPE = TinyModel(hidden_size=64, num_hidden_layers=3, intermediate_size=192, vocab_size=4096, template="compact")
SETTINGS = PretrainSettings(
    iters=1200, batch_size=8, learning_rate=3e-3, warmup=30, steps_per_report=50, steps_per_eval=150, val_batches=4
)
PACKAGES: tuple[tuple[str, int], ...] = (
    ("email", 200),
    ("unittest", 200),
    ("logging", 120),
    ("http", 150),
    ("concurrent", 150),
    ("importlib", 200),
    ("json", 100),
    ("xml", 200),
    ("multiprocessing", 200),
    ("click", 200),
    ("starlette", 200),
)
"""Installed packages (the standard library's, and two every install of curate carries) and how many
examples each gives."""
SAMPLE_PROJECTS: tuple[tuple[str, int], ...] = (("flaskapp", 120), ("django_site", 150))
VALID_SHARE = 20
"""One example in this many (by the hash of its id) validates instead of training."""


def turn_key(turn: str) -> str:
    """What `base.json` records of a user turn: the sha256 of its normalized text (normalizing a
    turn `split.user_turns` gave changes nothing)."""
    return hashlib.sha256(normalize(turn).encode("utf-8")).hexdigest()[:16]


def held_out_turns(work: Path, say: Callable[[str], None]) -> set[str]:
    """The normalized user turns of the quickstart's phase mixes' test and valid splits."""
    mixes = work / "mixes"
    shutil.copytree(SAMPLES.parent / "mixes", mixes, ignore=shutil.ignore_patterns("*.lock.json"))
    with Store.open(work / "quickstart.duckdb") as store:
        for _ in (*mine_samples(store), *synthesize_samples(store), *curate_and_export(store, mixes, work / "exports")):
            pass
        held: set[str] = set()
        for phase in ("phase6", "phase7"):
            lockfile = read_lockfile(mixes, phase)
            ids = [*lockfile.splits.get("valid", []), *lockfile.splits.get("test", [])]
            for item in store.examples(ids=ids):
                held |= set(user_turns(item.record))
    say(f"held out {len(held)} user turns of the phase mixes' valid and test splits")
    return held


def sources() -> list[tuple[Path, str, int]]:
    found = [(Path(str(importlib.import_module(name).__file__)).parent, name, n) for name, n in PACKAGES]
    return found + [(SAMPLES / "python" / name, name, n) for name, n in SAMPLE_PROJECTS]


def base_rows(work: Path, held: set[str], say: Callable[[str], None]) -> tuple[dict[str, list[str]], set[str], int]:
    """Mine, synthesize and cut the base's rows: (rows by split, the turns learned, examples left out)."""
    rows: dict[str, list[str]] = {"train": [], "valid": []}
    learned: set[str] = set()
    left_out = 0
    with Store.open(work / "base.duckdb") as store:
        for folder, domain, n in sources():
            mined = mine(store, folder, domain=domain)
            synthesis, _ = run_synth(
                store, domain, n, run_id=f"base-{domain}", seed=0, shapes=SHAPE_MIX, distractors=DISTRACTORS
            )
            say(f"base {domain}: {mined.mined} files mined, {len(synthesis.examples)} examples")
        ids = sorted(item.id for item in store.examples())
        texts = store.example_texts(ids)
        for example_id in ids:
            text = texts[example_id]
            turns = user_turns({"messages": json.loads(text.messages)})
            if any(turn in held for turn in turns):
                left_out += 1
                continue
            learned |= {turn_key(turn) for turn in turns}
            split = "valid" if int(hashlib.sha256(example_id.encode()).hexdigest(), 16) % VALID_SHARE == 0 else "train"
            rows[split] += [row.line() for row in rows_of(text, "opening")]
    say(f"base rows: train {len(rows['train'])}, valid {len(rows['valid'])}; {left_out} examples held out")
    return rows, learned, left_out


def build_demo_base(
    out: Path,
    *,
    settings: PretrainSettings = SETTINGS,
    say: Callable[[str], None] = print,
    start: Path | None = None,
) -> dict[str, Any]:
    """Build the base into `out`; from `start` (a base built here) instead of a new model: trained
    further on the same rows, its earlier stages kept in `base.json`."""
    began = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="curate-demo-base-") as scratch:
        work = Path(scratch)
        held = held_out_turns(work, say)
        rows, learned, left_out = base_rows(work, held, say)
        data = work / "data"
        data.mkdir()
        for split, lines in rows.items():
            (data / f"{split}.jsonl").write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")
        decoded = [json.loads(line) for line in rows["train"]]
        corpus = [*decoded, *({"messages": [{"role": "user", "content": ""}], "tools": [spec]} for spec in catalog())]
        model = work / "model"
        earlier: list[dict[str, Any]] = []
        if start is None:
            build_tiny_model(corpus, model, SHAPE)
        else:
            shutil.copytree(start, model)
            before = json.loads((start / "base.json").read_text("utf-8"))
            earlier = [
                *before.get("earlier_stages", []),
                {key: before[key] for key in ("settings", "seconds", "val_losses")},
            ]
        say(f"tokenizer and model ready; training every weight for {settings.iters} iterations")
        trained = pretrain(data, model, settings, on_report=lambda info: say(_report(info)))
        record = {
            "made_by": "python -m curate.demo_base",
            "shape": asdict(SHAPE),
            "settings": asdict(settings),
            "parameters": trained.parameters,
            "seconds": round(trained.seconds, 1),
            "val_losses": trained.val_losses,
            "domains": [domain for _, domain, _ in sources()],
            "rows": {split: len(lines) for split, lines in rows.items()},
            "held_out_examples": left_out,
            "learned_turns": sorted(learned),
            "earlier_stages": earlier,
        }
        (model / "base.json").write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
        if out.exists():
            shutil.rmtree(out)
        out.parent.mkdir(parents=True, exist_ok=True)
        shutil.copytree(model, out)
    say(f"demo base written to {out} in {time.perf_counter() - began:.0f}s")
    return record


def _report(info: dict[str, Any]) -> str:
    if "val_loss" in info:
        return f"iter {info['iteration']}: val loss {info['val_loss']:.3f}"
    speed = info.get("tokens_per_second", 0)
    return f"iter {info['iteration']}: train loss {info['train_loss']:.3f}, {speed:.0f} tok/s"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m curate.demo_base", description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=DEMO_BASE)
    parser.add_argument("--iters", type=int, default=SETTINGS.iters)
    parser.add_argument("--learning-rate", type=float, default=SETTINGS.learning_rate)
    parser.add_argument("--from", dest="start", type=Path, help="train further from this base (built here)")
    arguments = parser.parse_args(argv)
    settings = replace(SETTINGS, iters=arguments.iters, learning_rate=arguments.learning_rate)
    build_demo_base(arguments.out, settings=settings, start=arguments.start)
    return 0


if __name__ == "__main__":
    sys.exit(main())
