"""Rendering stages: each module takes values and returns values (usually bytes).

No module here opens files it was not handed, touches S3 or reads settings.
"""
