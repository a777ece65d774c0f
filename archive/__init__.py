"""Persistence: the SQLAlchemy database (catasto state, stock, index) and the S3 archive."""
