"""Etichette di validazione: lots, one row per etichetta with its state, counters, and the
append-only history of every transition (archive/etichette.py).

Revision ID: 0005
Revises: 0001
Depends on: 0004 (cait, manutentori: the holders and buyers referenced here)
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0001"
branch_labels = ("etichette",)
depends_on = "0004"

_MESSAGGIO = "movimenti_etichette: lo storico delle etichette non si modifica e non si cancella"


def upgrade() -> None:
    op.create_table(
        "contatori_etichette",
        sa.Column("ente_id", sa.String(60), nullable=False),
        sa.Column("stagione", sa.String(9), nullable=False),
        sa.Column("tipo", sa.String(1), nullable=False),
        sa.Column("ultimo", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("ente_id", "stagione", "tipo", name="pk_contatori_etichette"),
    )
    op.create_table(
        "lotti_etichette",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("ente_id", sa.String(60), nullable=False),
        sa.Column("tipo", sa.String(1), nullable=False),
        sa.Column("stagione", sa.String(9), nullable=False),
        sa.Column("fascia", sa.String(2), nullable=False),
        sa.Column("dal", sa.Integer(), nullable=False),
        sa.Column("al", sa.Integer(), nullable=False),
        sa.Column("primo", sa.String(40), nullable=False),
        sa.Column("ultimo", sa.String(40), nullable=False),
        sa.Column("creato_il", sa.DateTime(timezone=True), nullable=False),
        sa.Column("creato_da", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_lotti_etichette"),
        sa.CheckConstraint("tipo IN ('G', 'F')", name="ck_lotti_etichette_tipo"),
        sa.CheckConstraint("dal >= 1 AND al >= dal", name="ck_lotti_etichette_intervallo"),
    )
    op.create_index("ix_lotti_etichette_ente_id", "lotti_etichette", ["ente_id"])
    op.create_table(
        "etichette",
        sa.Column("numero", sa.String(40), nullable=False),
        sa.Column("lotto_id", sa.Integer(), nullable=False),
        sa.Column("ente_id", sa.String(60), nullable=False),
        sa.Column("tipo", sa.String(1), nullable=False),
        sa.Column("stagione", sa.String(9), nullable=False),
        sa.Column("fascia", sa.String(2), nullable=False),
        sa.Column("progressivo", sa.Integer(), nullable=False),
        sa.Column("stato", sa.String(12), nullable=False),
        sa.Column("cait_id", sa.String(32), nullable=True),
        sa.Column("assegnata_il", sa.DateTime(timezone=True), nullable=True),
        sa.Column("manutentore_id", sa.Integer(), nullable=True),
        sa.Column("venduta_il", sa.DateTime(timezone=True), nullable=True),
        sa.Column("contributo_regionale", sa.Numeric(8, 2), nullable=True),
        sa.Column("quota_ente", sa.Numeric(8, 2), nullable=True),
        sa.Column("codice_impianto", sa.String(15), nullable=True),
        sa.Column("tipo_dichiarazione", sa.String(1), nullable=True),
        sa.Column("data_controllo", sa.Date(), nullable=True),
        sa.Column("vincolata_il", sa.DateTime(timezone=True), nullable=True),
        sa.Column("annullata_il", sa.DateTime(timezone=True), nullable=True),
        sa.Column("motivo_annullamento", sa.String(500), nullable=True),
        sa.PrimaryKeyConstraint("numero", name="pk_etichette"),
        sa.ForeignKeyConstraint(["lotto_id"], ["lotti_etichette.id"], name="fk_etichette_lotto_id_lotti_etichette"),
        sa.ForeignKeyConstraint(["cait_id"], ["cait.id"], name="fk_etichette_cait_id_cait"),
        sa.ForeignKeyConstraint(["manutentore_id"], ["manutentori.id"], name="fk_etichette_manutentore_id_manutentori"),
        sa.UniqueConstraint("ente_id", "stagione", "tipo", "progressivo", name="uq_etichette_ente_id"),
        sa.UniqueConstraint("codice_impianto", "tipo_dichiarazione", "data_controllo",
                            name="uq_etichette_codice_impianto"),
        sa.CheckConstraint("stato IN ('generata', 'assegnata', 'venduta', 'vincolata', 'annullata')",
                           name="ck_etichette_stato"),
        sa.CheckConstraint("tipo IN ('G', 'F')", name="ck_etichette_tipo"),
    )
    op.create_index("ix_etichette_lotto_id", "etichette", ["lotto_id"])
    op.create_index("ix_etichette_ente_stato", "etichette", ["ente_id", "stato"])
    op.create_index("ix_etichette_cait_stato", "etichette", ["cait_id", "stato"])
    op.create_index("ix_etichette_manutentore_id", "etichette", ["manutentore_id"])
    op.create_table(
        "movimenti_etichette",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("numero", sa.String(40), nullable=False),
        sa.Column("istante", sa.DateTime(timezone=True), nullable=False),
        sa.Column("evento", sa.String(12), nullable=False),
        sa.Column("stato_da", sa.String(12), nullable=True),
        sa.Column("stato_a", sa.String(12), nullable=False),
        sa.Column("utente", sa.String(64), nullable=False),
        sa.Column("ruolo", sa.String(16), nullable=False),
        sa.Column("dettagli", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_movimenti_etichette"),
        sa.ForeignKeyConstraint(["numero"], ["etichette.numero"], name="fk_movimenti_etichette_numero_etichette"),
    )
    op.create_index("ix_movimenti_etichette_numero", "movimenti_etichette", ["numero"])
    op.create_index("ix_movimenti_etichette_istante", "movimenti_etichette", ["istante"])
    _append_only()


def _append_only() -> None:
    """History rows can be inserted, never changed or removed (enforced by the database)."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION movimenti_etichette_immutabili() RETURNS trigger LANGUAGE plpgsql AS $$ "
            f"BEGIN RAISE EXCEPTION '{_MESSAGGIO}'; END $$"
        )
        op.execute(
            "CREATE TRIGGER movimenti_etichette_append_only BEFORE UPDATE OR DELETE ON movimenti_etichette "
            "FOR EACH ROW EXECUTE FUNCTION movimenti_etichette_immutabili()"
        )
        return
    for azione in ("UPDATE", "DELETE"):
        op.execute(
            f"CREATE TRIGGER movimenti_etichette_no_{azione.lower()} BEFORE {azione} ON movimenti_etichette "
            f"BEGIN SELECT RAISE(ABORT, '{_MESSAGGIO}'); END"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS movimenti_etichette_append_only ON movimenti_etichette")
        op.execute("DROP FUNCTION IF EXISTS movimenti_etichette_immutabili()")
    for name in ("movimenti_etichette", "etichette", "lotti_etichette", "contatori_etichette"):
        op.drop_table(name)
