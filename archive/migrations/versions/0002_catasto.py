"""Catasto: impianti and the per-Comune counters of the codice impianto (archive/catasto.py).

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = ("catasto",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "contatori_codice",
        sa.Column("istat", sa.String(6), nullable=False),
        sa.Column("ambito", sa.String(2), nullable=False),
        sa.Column("ultimo", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("istat", "ambito", name="pk_contatori_codice"),
    )
    op.create_table(
        "impianti",
        sa.Column("codice_impianto", sa.String(15), nullable=False),
        sa.Column("istat", sa.String(6), nullable=False),
        sa.Column("tipologia", sa.String(2), nullable=False),
        sa.Column("indirizzo", sa.String(200), nullable=False),
        sa.Column("civico", sa.String(20)),
        sa.Column("palazzo", sa.String(40)),
        sa.Column("scala", sa.String(20)),
        sa.Column("piano", sa.String(20)),
        sa.Column("interno", sa.String(20)),
        sa.Column("cap", sa.String(5)),
        sa.Column("localita", sa.String(100)),
        sa.Column("comune", sa.String(100), nullable=False),
        sa.Column("provincia", sa.String(2), nullable=False),
        sa.Column("stato", sa.String(20), nullable=False),
        sa.Column("ente_id", sa.String(60), nullable=False),
        sa.Column("potenza_focolare_totale_kw", sa.Numeric(10, 2)),
        sa.Column("chiave_esterna", sa.String(60)),
        sa.Column("responsabile_ragione_sociale", sa.String(200)),
        sa.Column("responsabile_cognome_nome", sa.String(200)),
        sa.Column("responsabile_cf", sa.String(16)),
        sa.Column("responsabile_indirizzo", sa.String(200)),
        sa.Column("responsabile_comune", sa.String(100)),
        sa.Column("responsabile_telefono", sa.String(30)),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("codice_impianto", name="pk_impianti"),
        sa.CheckConstraint(
            "stato IN ('da ispezionare', 'certificato', 'anomalo', 'rottamato')", name="ck_impianti_stato"
        ),
        sa.CheckConstraint("tipologia IN ('CT', 'IN', 'TR')", name="ck_impianti_tipologia"),
    )
    op.create_index("ix_impianti_istat", "impianti", ["istat"])
    op.create_index("ix_impianti_ente_id", "impianti", ["ente_id"])
    op.create_index("ix_impianti_responsabile_cf", "impianti", ["responsabile_cf"])


def downgrade() -> None:
    op.drop_table("impianti")
    op.drop_table("contatori_codice")
