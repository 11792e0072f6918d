"""ordergraph: `python -m ordergraph` runs the command line."""
