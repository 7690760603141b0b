"""Python sources: file bytes in, facts out (libcst)."""

from sources.python.extract import Extraction, extract_python, is_test_file, module_name

__all__ = ["Extraction", "extract_python", "is_test_file", "module_name"]
