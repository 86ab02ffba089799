"""Stage 1, load: the project's files read and their YAML parsed (see `files`)."""

from .files import CONFIG_FILE, CONTENT_DIR, read_config, read_document, split_front_matter, walk
from .ids import ID_RE, id_problem

__all__ = ["CONFIG_FILE", "CONTENT_DIR", "ID_RE", "id_problem", "read_config", "read_document",
           "split_front_matter", "walk"]
