"""Python sources: file bytes in, facts out (libcst)."""

from sources.extraction import Extraction
from sources.python.extract import extract_python, module_name
from sources.python.vocabulary import is_test_file

__all__ = ["Extraction", "extract_python", "is_test_file", "module_name"]
