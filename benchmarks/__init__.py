"""Benchmarks of SeqGen Studio engine functions (run as modules, e.g. python -m benchmarks.properties)."""
