"""Stage 5, write: files onto disk (see `writer`), and the stamps that tell whether they changed."""

from .writer import BuildLocked, OutputDir, OutputError, atomic_write, site_path, sync

__all__ = ["BuildLocked", "OutputDir", "OutputError", "atomic_write", "site_path", "sync"]
