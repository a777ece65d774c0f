"""Batch jobs: state and progress of each print job (archive/lavori.py).

Revision ID: 0007
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0001"
branch_labels = ("lavori",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "lavori",
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("tipo", sa.String(60), nullable=False),
        sa.Column("stato", sa.String(20), nullable=False),
        sa.Column("cartella", sa.String(500), nullable=False),
        sa.Column("manifest_sha256", sa.String(64), nullable=False),
        sa.Column("record_totali", sa.Integer(), nullable=False),
        sa.Column("record_fatti", sa.Integer(), nullable=False),
        sa.Column("record_scartati", sa.Integer(), nullable=False),
        sa.Column("record_falliti", sa.Integer(), nullable=False),
        sa.Column("impaginazioni_complete", sa.Integer(), nullable=False),
        sa.Column("pagine", sa.Integer(), nullable=False),
        sa.Column("pagine_al_secondo", sa.Float()),
        sa.Column("eta_secondi", sa.Float()),
        sa.Column("messaggio", sa.Text()),
        sa.Column("creato_il", sa.DateTime(timezone=True), nullable=False),
        sa.Column("aggiornato_il", sa.DateTime(timezone=True), nullable=False),
        sa.Column("concluso_il", sa.DateTime(timezone=True)),
        sa.PrimaryKeyConstraint("id", name="pk_lavori"),
        sa.CheckConstraint("stato IN ('creato', 'in corso', 'interrotto', 'completato', 'fallito')",
                           name="ck_lavori_stato"),
    )


def downgrade() -> None:
    op.drop_table("lavori")
