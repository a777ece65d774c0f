"""CAIT desk records: dichiarazioni handed in, distinte, ricevute and their lines, Portafoglio
moves, per-CAIT yearly counters (archive/cait_tabelle.py).

Revision ID: 0006
Revises: 0001
Depends on: 0004 (cait, manutentori, operatori_cait)
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0001"
branch_labels = ("cait_documenti",)
depends_on = "0004"


def upgrade() -> None:
    op.create_table(
        "cait_contatori",
        sa.Column("cait_id", sa.String(32), nullable=False),
        sa.Column("anno", sa.Integer(), nullable=False),
        sa.Column("serie", sa.String(10), nullable=False),
        sa.Column("ultimo", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("cait_id", "anno", "serie", name="pk_cait_contatori"),
    )
    op.create_table(
        "cait_distinte",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("numero", sa.String(60), nullable=False),
        sa.Column("cait_id", sa.String(32), nullable=False),
        sa.Column("anno", sa.Integer(), nullable=False),
        sa.Column("progressivo", sa.Integer(), nullable=False),
        sa.Column("manutentore_id", sa.Integer(), nullable=False),
        sa.Column("operatore_id", sa.Integer(), nullable=False),
        sa.Column("operatore", sa.String(200), nullable=False),
        sa.Column("chiusa_il", sa.DateTime(timezone=True), nullable=False),
        sa.Column("utente", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_cait_distinte"),
        sa.ForeignKeyConstraint(["cait_id"], ["cait.id"], name="fk_cait_distinte_cait_id_cait"),
        sa.ForeignKeyConstraint(["manutentore_id"], ["manutentori.id"],
                                name="fk_cait_distinte_manutentore_id_manutentori"),
        sa.ForeignKeyConstraint(["operatore_id"], ["operatori_cait.id"],
                                name="fk_cait_distinte_operatore_id_operatori_cait"),
        sa.UniqueConstraint("numero", name="uq_cait_distinte_numero"),
        sa.UniqueConstraint("cait_id", "anno", "progressivo", name="uq_cait_distinte_cait_id"),
    )
    op.create_index("ix_cait_distinte_cait_id", "cait_distinte", ["cait_id"])
    op.create_index("ix_cait_distinte_manutentore_id", "cait_distinte", ["manutentore_id"])
    op.create_table(
        "cait_dichiarazioni",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("cait_id", sa.String(32), nullable=False),
        sa.Column("manutentore_id", sa.Integer(), nullable=False),
        sa.Column("codice_impianto", sa.String(15), nullable=False),
        sa.Column("ente_id", sa.String(60), nullable=False),
        sa.Column("tipo", sa.String(1), nullable=False),
        sa.Column("data_controllo", sa.Date(), nullable=False),
        sa.Column("numero_etichetta", sa.String(40), nullable=True),
        sa.Column("anomalie", sa.String(500), nullable=True),
        sa.Column("pregiudica_sicurezza", sa.Boolean(), nullable=False),
        sa.Column("dati", sa.JSON(), nullable=True),
        sa.Column("stato", sa.String(8), nullable=False),
        sa.Column("distinta_id", sa.Integer(), nullable=True),
        sa.Column("consegnata_il", sa.DateTime(timezone=True), nullable=False),
        sa.Column("modificata_il", sa.DateTime(timezone=True), nullable=True),
        sa.Column("modificata_da", sa.String(64), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_cait_dichiarazioni"),
        sa.ForeignKeyConstraint(["cait_id"], ["cait.id"], name="fk_cait_dichiarazioni_cait_id_cait"),
        sa.ForeignKeyConstraint(["manutentore_id"], ["manutentori.id"],
                                name="fk_cait_dichiarazioni_manutentore_id_manutentori"),
        sa.ForeignKeyConstraint(["distinta_id"], ["cait_distinte.id"],
                                name="fk_cait_dichiarazioni_distinta_id_cait_distinte"),
        sa.UniqueConstraint("codice_impianto", "tipo", "data_controllo", name="uq_cait_dichiarazioni_codice_impianto"),
        sa.CheckConstraint("tipo IN ('G', 'F')", name="ck_cait_dichiarazioni_tipo"),
        sa.CheckConstraint("stato IN ('aperta', 'chiusa')", name="ck_cait_dichiarazioni_stato"),
    )
    for col in ("cait_id", "manutentore_id", "codice_impianto", "ente_id", "distinta_id"):
        op.create_index(f"ix_cait_dichiarazioni_{col}", "cait_dichiarazioni", [col])
    op.create_table(
        "cait_ricevute",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("numero", sa.String(60), nullable=False),
        sa.Column("cait_id", sa.String(32), nullable=False),
        sa.Column("anno", sa.Integer(), nullable=False),
        sa.Column("progressivo", sa.Integer(), nullable=False),
        sa.Column("manutentore_id", sa.Integer(), nullable=False),
        sa.Column("causale", sa.String(10), nullable=False),
        sa.Column("pagamento", sa.String(12), nullable=False),
        sa.Column("operatore", sa.String(200), nullable=False),
        sa.Column("emessa_il", sa.DateTime(timezone=True), nullable=False),
        sa.Column("totale", sa.Numeric(10, 2), nullable=False),
        sa.Column("utente", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_cait_ricevute"),
        sa.ForeignKeyConstraint(["cait_id"], ["cait.id"], name="fk_cait_ricevute_cait_id_cait"),
        sa.ForeignKeyConstraint(["manutentore_id"], ["manutentori.id"],
                                name="fk_cait_ricevute_manutentore_id_manutentori"),
        sa.UniqueConstraint("numero", name="uq_cait_ricevute_numero"),
        sa.UniqueConstraint("cait_id", "anno", "progressivo", name="uq_cait_ricevute_cait_id"),
        sa.CheckConstraint("causale IN ('etichette', 'ricarica')", name="ck_cait_ricevute_causale"),
    )
    for col in ("cait_id", "manutentore_id", "emessa_il"):
        op.create_index(f"ix_cait_ricevute_{col}", "cait_ricevute", [col])
    op.create_table(
        "cait_ricevute_righe",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("ricevuta_id", sa.Integer(), nullable=False),
        sa.Column("posizione", sa.Integer(), nullable=False),
        sa.Column("descrizione", sa.String(200), nullable=False),
        sa.Column("numero_etichetta", sa.String(40), nullable=True),
        sa.Column("ente_id", sa.String(60), nullable=True),
        sa.Column("tipo", sa.String(1), nullable=True),
        sa.Column("fascia", sa.String(2), nullable=True),
        sa.Column("quota_ente", sa.Numeric(10, 2), nullable=False),
        sa.Column("contributo_regionale", sa.Numeric(10, 2), nullable=False),
        sa.Column("importo", sa.Numeric(10, 2), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_cait_ricevute_righe"),
        sa.ForeignKeyConstraint(["ricevuta_id"], ["cait_ricevute.id"],
                                name="fk_cait_ricevute_righe_ricevuta_id_cait_ricevute"),
    )
    op.create_index("ix_cait_ricevute_righe_ricevuta_id", "cait_ricevute_righe", ["ricevuta_id"])
    op.create_table(
        "portafoglio_movimenti",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("manutentore_id", sa.Integer(), nullable=False),
        sa.Column("cait_id", sa.String(32), nullable=False),
        sa.Column("istante", sa.DateTime(timezone=True), nullable=False),
        sa.Column("causale", sa.String(10), nullable=False),
        sa.Column("importo", sa.Numeric(10, 2), nullable=False),
        sa.Column("ricevuta_id", sa.Integer(), nullable=True),
        sa.Column("utente", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_portafoglio_movimenti"),
        sa.ForeignKeyConstraint(["manutentore_id"], ["manutentori.id"],
                                name="fk_portafoglio_movimenti_manutentore_id_manutentori"),
        sa.ForeignKeyConstraint(["cait_id"], ["cait.id"], name="fk_portafoglio_movimenti_cait_id_cait"),
        sa.ForeignKeyConstraint(["ricevuta_id"], ["cait_ricevute.id"],
                                name="fk_portafoglio_movimenti_ricevuta_id_cait_ricevute"),
    )
    op.create_index("ix_portafoglio_movimenti_manutentore_id", "portafoglio_movimenti", ["manutentore_id"])


def downgrade() -> None:
    for table in ("portafoglio_movimenti", "cait_ricevute_righe", "cait_ricevute", "cait_dichiarazioni",
                  "cait_distinte", "cait_contatori"):
        op.drop_table(table)
