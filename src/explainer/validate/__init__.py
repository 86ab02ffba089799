"""Stage 2, validate: front matter and config against the schema table (see `project`)."""

from .project import assemble, load_entry, validate_config, validate_entry

__all__ = ["assemble", "load_entry", "validate_config", "validate_entry"]
