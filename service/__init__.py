"""Orchestration: settings, document-type registry, produce pipeline, CLI and API.

Only this package reads settings and combines renderers with archive.
"""
