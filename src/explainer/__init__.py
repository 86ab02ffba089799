"""explainer: a static-site generator for explainer sites."""

__version__ = "0.1.0"
