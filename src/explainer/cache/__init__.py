"""The cache layer around the stages, and the build cache `.explainer-cache/` it keeps.

* `layer`: the one cache layer: how `pipeline.build_site` runs its repeated steps
  (a `Memo` of earlier results, an `Executor`), and the rule for reusing a result;
* `files`: its file format (JSON sealed with a key kept outside the project), read
  without following links and within a size cap;
* `disk`: the layer's memo on disk (parsed bodies, rendered pages, share cards, the
  search index's entries), what a warm `explainer build` reuses;
* `noop`: the record of the last build, so that a build in which nothing changed does
  nothing (it imports no stage, so such a build never loads the pipeline).

The forked executor is `explainer.workers`; the dev server's memo, in memory, is in
`explainer.serve.engine`.
"""
