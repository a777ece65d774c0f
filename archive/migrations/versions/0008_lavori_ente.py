"""Batch jobs: issuing organisation, run start, and one row per finished chunk (archive/lavori.py).

Revision ID: 0008_lavori
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008_lavori"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("lavori") as t:
        t.add_column(sa.Column("emittente", sa.String(80)))
        t.add_column(sa.Column("avviato_il", sa.DateTime(timezone=True)))
    op.create_table(
        "lavori_blocchi",
        sa.Column("lavoro_id", sa.String(40), nullable=False),
        sa.Column("indice", sa.Integer(), nullable=False),
        sa.Column("record", sa.Integer(), nullable=False),
        sa.Column("pagine", sa.Integer(), nullable=False),
        sa.Column("falliti", sa.Integer(), nullable=False),
        sa.Column("complete", sa.Integer(), nullable=False),
        sa.Column("finito_il", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("lavoro_id", "indice", name="pk_lavori_blocchi"),
        sa.ForeignKeyConstraint(["lavoro_id"], ["lavori.id"], name="fk_lavori_blocchi_lavoro_id_lavori",
                                ondelete="CASCADE"),
    )


def downgrade() -> None:
    op.drop_table("lavori_blocchi")
    with op.batch_alter_table("lavori") as t:
        t.drop_column("avviato_il")
        t.drop_column("emittente")
