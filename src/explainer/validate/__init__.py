"""Stage 2, validate: front matter and config against the schema table (see `project`)."""

from .project import assemble, validate_config, validate_entry

__all__ = ["assemble", "validate_config", "validate_entry"]
