"""The version of each language's extractor, apart from the extractors: a re-mine compares them with
the stored files' without loading a parser."""

EXTRACTOR_VERSIONS = {"python": "py4", "html": "html3"}
"""Bump a language's version when the facts extracted from the same bytes change: its stored files
are then mined again. (py4, html3: secrets are redacted from the decoded text, in HTML with its
character references resolved.)"""
