"""Alembic environment: migrations run against the URL set by ``archive.db.upgrade``.

Feature tables arrive as separate branches rooted at revision ``0001`` (one
branch label per feature), so ``upgrade heads`` applies them all.
"""

from alembic import context

from archive.db import make_engine

config = context.config
url = config.get_main_option("sqlalchemy.url")
engine = make_engine(url)
with engine.connect() as connection:
    context.configure(connection=connection, render_as_batch=url.startswith("sqlite"))
    with context.begin_transaction():
        context.run_migrations()
engine.dispose()
