"""Training and evaluation with mlx-lm: exported files in, metrics out. Imports only `schemas/`;
mlx and mlx-lm are imported lazily, inside the functions that need them."""

from __future__ import annotations

import os


class MlxUnavailable(RuntimeError):
    """MLX (or mlx-lm) cannot be imported on this machine."""


def quiet_transformers() -> None:
    """transformers warns at import that PyTorch is missing; nothing here needs it."""
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")


def require_mlx() -> None:
    """Fail early, with the install line for this platform, where MLX cannot run."""
    quiet_transformers()
    try:
        import mlx.core  # noqa: F401
        import mlx_lm  # noqa: F401
    except ImportError as error:
        raise MlxUnavailable(
            f"MLX is not available here ({error}); install `mlx-lm` on Apple silicon, "
            "`mlx-lm[cpu]` on Linux, or `mlx-lm[cuda]` with an NVIDIA GPU"
        ) from None
