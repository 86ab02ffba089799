"""Take the README's screenshot: build this repository's site, open a page in Chromium, save a PNG.

    python scripts/screenshot.py [PAGE] [OUT]      # default: timeline/ -> docs/images/timeline.png

Uses Debian's /usr/bin/chromium through Playwright (never a downloaded browser) and a
local HTTP server on 127.0.0.1; the picture is 1200 x 820 CSS pixels at scale 1, so it
stays small (about 120 KB).
"""

from __future__ import annotations

import functools
import http.server
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

from playwright.sync_api import sync_playwright

REPO = Path(__file__).resolve().parent.parent


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


def main(page: str = "timeline/", out: str = "docs/images/timeline.png") -> None:
    with tempfile.TemporaryDirectory() as tmp:
        site = Path(tmp) / "site"
        subprocess.run([sys.executable, "-m", "explainer", "build", "--root", str(REPO), "--out", str(site),
                        "--no-cache"], check=True)
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(site)))
        threading.Thread(target=server.serve_forever, daemon=True).start()
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path="/usr/bin/chromium")
                tab = browser.new_page(viewport={"width": 1200, "height": 820}, device_scale_factor=1)
                tab.goto(f"http://127.0.0.1:{server.server_port}/{page}")
                tab.screenshot(path=str(REPO / out), type="png")
                browser.close()
        finally:
            server.shutdown()
    print(f"Wrote {out}")


if __name__ == "__main__":
    main(*sys.argv[1:3])
