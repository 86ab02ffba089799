"""The panel that lists a broken build's problems over every page the dev server serves."""

from __future__ import annotations

import html


def live_script(port: int) -> bytes:
    return f'<script src="/livereload.js?port={port}"></script>'.encode()


OVERLAY_STYLE = (
    "position:fixed;inset:0;z-index:2147483647;overflow:auto;margin:0;padding:2rem;"
    "background:#fff;color:#111;font:15px/1.5 ui-monospace,monospace"
)


def overlay(problems: list[str]) -> bytes:
    """The problems as an escaped, link-free panel over the page."""
    items = "".join(f"<li>{html.escape(p)}</li>" for p in problems)
    n = len(problems)
    return (
        f'<section id="explainer-build-errors" role="alert" style="{OVERLAY_STYLE}">'
        f"<h1>Build failed: {n} error{'s' if n != 1 else ''}</h1>"
        "<p>Fix the files below and save; this page reloads by itself. "
        "The last good version of the site is still served beneath this panel.</p>"
        f"<ul>{items}</ul></section>"
    ).encode()


def error_page(problems: list[str], port: int) -> bytes:
    return (b'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Build failed</title>'
            + live_script(port) + b"</head><body>" + overlay(problems) + b"</body></html>")
