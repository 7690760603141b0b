"""The DuckDB store, the only code that talks to DuckDB: `core` holds sources, files and facts;
`examples` holds training examples, their verification and their rejections."""

from curate.store.core import SCHEMA_VERSION, FileWrite, Store, StoredFact
from curate.store.examples import StoredExample

__all__ = ["SCHEMA_VERSION", "FileWrite", "Store", "StoredExample", "StoredFact"]
