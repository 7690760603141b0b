"""Python sources: file bytes in, facts out (libcst)."""

from sources.python.extract import EXTRACTOR_VERSION, Extraction, extract_python, is_test_file, module_name

__all__ = ["EXTRACTOR_VERSION", "Extraction", "extract_python", "is_test_file", "module_name"]
