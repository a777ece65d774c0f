"""Sessions and safe defaults: server-side sessions (logout and deactivation end a token at once),
expiring and revocable API keys, per-user permissions (``firma_pdf``) (archive/utenti.py).

Revision ID: 0011_sessioni
Revises: 0004 (servizio)
"""

import sqlalchemy as sa
from alembic import op

revision = "0011_sessioni"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sessioni",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("utente_id", sa.Integer(), nullable=False),
        sa.Column("canale", sa.String(16), nullable=False),
        sa.Column("origine", sa.String(64), nullable=False),
        sa.Column("creata_il", sa.DateTime(timezone=True), nullable=False),
        sa.Column("scade_il", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revocata_il", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_sessioni"),
        sa.ForeignKeyConstraint(["utente_id"], ["utenti.id"], name="fk_sessioni_utente_id_utenti", ondelete="CASCADE"),
    )
    op.create_index("ix_sessioni_utente_id", "sessioni", ["utente_id"])
    op.create_index("ix_sessioni_scade_il", "sessioni", ["scade_il"])
    # Existing keys get 90 days from their creation; existing users no extra permission.
    with op.batch_alter_table("api_keys") as t:
        t.add_column(sa.Column("scade_il", sa.DateTime(timezone=True), nullable=True))
        t.add_column(sa.Column("revocata_il", sa.DateTime(timezone=True), nullable=True))
    # utenti is referenced by other tables: a plain ADD COLUMN (no SQLite table copy), filled by its default
    op.add_column("utenti", sa.Column("permessi", sa.JSON(), nullable=False, server_default=sa.text("'[]'")))
    chiavi = sa.table("api_keys", sa.column("id", sa.Integer), sa.column("creata_il", sa.DateTime(timezone=True)),
                      sa.column("scade_il", sa.DateTime(timezone=True)))
    conn = op.get_bind()
    import datetime as dt

    for kid, creata in conn.execute(sa.select(chiavi.c.id, chiavi.c.creata_il)).all():
        conn.execute(chiavi.update().where(chiavi.c.id == kid).values(scade_il=creata + dt.timedelta(days=90)))
    with op.batch_alter_table("api_keys") as t:
        t.alter_column("scade_il", existing_type=sa.DateTime(timezone=True), nullable=False)


def downgrade() -> None:
    op.drop_column("utenti", "permessi")
    with op.batch_alter_table("api_keys") as t:
        t.drop_column("revocata_il")
        t.drop_column("scade_il")
    op.drop_index("ix_sessioni_scade_il", table_name="sessioni")
    op.drop_index("ix_sessioni_utente_id", table_name="sessioni")
    op.drop_table("sessioni")
