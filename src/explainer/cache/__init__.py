"""The build cache, `.explainer-cache/`: a folder explainer owns inside the project.

* `files`: its file format (JSON sealed with a key kept outside the project), read
  without following links and within a size cap;
* `disk`: the pipeline's memo on disk (parsed bodies, rendered pages, share cards, the
  search index's entries), what a warm `explainer build` reuses;
* `noop`: the record of the last build, so that a build in which nothing changed does
  nothing (it imports no stage, so such a build never loads the pipeline).

The forked executor is `explainer.workers`; the dev server's memory memo is in
`explainer.serve.engine`.
"""
