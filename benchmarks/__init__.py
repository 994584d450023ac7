"""`make bench`: cold imports, AWS calls per handler, ladder wall time, domain hot paths."""
