"""Performance workloads (`make bench`): data written straight into a SQLite store, then timed over
HTTP against a raw-driver floor."""
