"""Training and evaluation with mlx-lm: exported files in, metrics out. Imports only `schemas/`;
mlx and mlx-lm are imported lazily, inside the functions that need them."""

from __future__ import annotations

import os


def quiet_transformers() -> None:
    """transformers warns at import that PyTorch is missing; nothing here needs it."""
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
