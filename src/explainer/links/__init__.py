"""`explainer links`: every external link the site makes, checked, remembered, and archived.

The stages, top to bottom: `found` lists every external URL with each place an author
wrote it (front matter, bibliography records, bodies); `check` asks the servers (httpx,
polite and bounded); `results` keeps each URL's last answer in
`.explainer-cache/links.json` so a run within `recheck_after_days` asks nothing again;
`archive` asks a Wayback-availability-compatible API for snapshots; `edit` adds the keys
`--write` records to a source's front matter, leaving every other byte of the file as it
was; `command` runs them for the CLI.

The build never imports this package and never touches the network: what readers see of
a dead link comes from the source's front matter (`url_status`, `archive_url`), which
`--write` fills in and the author commits.
"""
