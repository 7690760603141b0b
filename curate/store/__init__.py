"""The DuckDB store, the only code that talks to DuckDB: `core` holds sources, files, their texts
and the secrets redacted from them; `facts` holds facts, their rejections and line search;
`examples` holds training examples, their verification and their rejections; `training` holds
training runs, their reports and evaluation results."""

from curate.store.core import SCHEMA_VERSION, FileState, FileWrite, ListedState, RedactedSecret, Store
from curate.store.examples import AnyExample, LightExample, StoredExample
from curate.store.facts import FactRejection, LineMatch, LineSearch, StoredFact
from curate.store.training import EvalResult, TrainReport, TrainRun

__all__ = [
    "SCHEMA_VERSION",
    "AnyExample",
    "EvalResult",
    "FactRejection",
    "FileState",
    "FileWrite",
    "LightExample",
    "LineMatch",
    "LineSearch",
    "ListedState",
    "RedactedSecret",
    "Store",
    "StoredExample",
    "StoredFact",
    "TrainReport",
    "TrainRun",
]
