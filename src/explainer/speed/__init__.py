"""Ways of running the one pipeline faster: a memo on disk (`disk`), forked workers
(`forked`), and the dev server's engine with its memo in memory (`engine`)."""
