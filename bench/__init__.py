"""Benchmarks (never collected by pytest). ``python -m bench`` runs them all."""
