"""Service tables: CAIT registry (cait, operatori, manutentori, strumenti, manutenzioni),
users, API keys, audit log.

Revision ID: 0004
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0001"
branch_labels = ("servizio",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "cait",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("denominazione", sa.String(200), nullable=False),
        sa.Column("indirizzo", sa.String(200), nullable=False),
        sa.Column("comune", sa.String(100), nullable=False),
        sa.Column("partita_iva", sa.String(11), nullable=False),
        sa.Column("email", sa.String(200), nullable=False),
    )
    op.create_table(
        "cait_enti",
        sa.Column("cait_id", sa.String(32), sa.ForeignKey("cait.id", name="fk_cait_enti_cait_id_cait"), primary_key=True),
        sa.Column("ente_id", sa.String(32), primary_key=True),
    )
    op.create_table(
        "manutentori",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("ragione_sociale", sa.String(200), nullable=False),
        sa.Column("partita_iva", sa.String(11), nullable=False),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("email", sa.String(200), nullable=True),
        sa.Column("cait_id", sa.String(32), sa.ForeignKey("cait.id", name="fk_manutentori_cait_id_cait"), nullable=True),
        sa.Column("registrato_il", sa.Date, nullable=False),
        sa.Column("indirizzo", sa.String(200), nullable=False),
        sa.Column("comune", sa.String(100), nullable=False),
        sa.UniqueConstraint("partita_iva", name="uq_manutentori_partita_iva"),
        sa.UniqueConstraint("username", name="uq_manutentori_username"),
        sa.UniqueConstraint("email", name="uq_manutentori_email"),
    )
    op.create_index("ix_manutentori_cait_id", "manutentori", ["cait_id"])
    op.create_table(
        "operatori_cait",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("cait_id", sa.String(32), sa.ForeignKey("cait.id", name="fk_operatori_cait_cait_id_cait"), nullable=False),
        sa.Column("cognome_nome", sa.String(200), nullable=False),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("attivo", sa.Boolean, nullable=False),
        sa.UniqueConstraint("username", name="uq_operatori_cait_username"),
    )
    op.create_index("ix_operatori_cait_cait_id", "operatori_cait", ["cait_id"])
    op.create_table(
        "strumenti",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("cait_id", sa.String(32), sa.ForeignKey("cait.id", name="fk_strumenti_cait_id_cait"), nullable=False),
        sa.Column("manutentore_id", sa.Integer, sa.ForeignKey("manutentori.id", name="fk_strumenti_manutentore_id_manutentori"), nullable=True),
        sa.Column("marca", sa.String(100), nullable=False),
        sa.Column("modello", sa.String(100), nullable=False),
        sa.Column("matricola", sa.String(100), nullable=False),
        sa.UniqueConstraint("marca", "modello", "matricola", name="uq_strumenti_marca"),
    )
    op.create_index("ix_strumenti_cait_id", "strumenti", ["cait_id"])
    op.create_table(
        "manutenzioni_impianti",
        sa.Column("codice_impianto", sa.String(15), primary_key=True),
        sa.Column("manutentore_id", sa.Integer, sa.ForeignKey("manutentori.id", name="fk_manutenzioni_impianti_manutentore_id_manutentori"), primary_key=True),
        sa.Column("dal", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_manutenzioni_impianti_manutentore_id", "manutenzioni_impianti", ["manutentore_id"])
    op.create_table(
        "utenti",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("password_hash", sa.String(200), nullable=False),
        sa.Column("ruolo", sa.String(16), nullable=False),
        sa.Column("nome", sa.String(200), nullable=False),
        sa.Column("ente_id", sa.String(32), nullable=True),
        sa.Column("cait_id", sa.String(32), nullable=True),
        sa.Column("manutentore_id", sa.Integer, nullable=True),
        sa.Column("attivo", sa.Boolean, nullable=False),
        sa.Column("creato_il", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("username", name="uq_utenti_username"),
    )
    op.create_table(
        "api_keys",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("prefisso", sa.String(16), nullable=False),
        sa.Column("hash", sa.String(200), nullable=False),
        sa.Column("utente_id", sa.Integer, sa.ForeignKey("utenti.id", name="fk_api_keys_utente_id_utenti"), nullable=False),
        sa.Column("descrizione", sa.String(200), nullable=False),
        sa.Column("revocata", sa.Boolean, nullable=False),
        sa.Column("creata_il", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("prefisso", name="uq_api_keys_prefisso"),
    )
    op.create_index("ix_api_keys_utente_id", "api_keys", ["utente_id"])
    op.create_table(
        "audit",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("istante", sa.DateTime(timezone=True), nullable=False),
        sa.Column("utente", sa.String(64), nullable=False),
        sa.Column("ruolo", sa.String(16), nullable=False),
        sa.Column("azione", sa.String(64), nullable=False),
        sa.Column("oggetto", sa.String(200), nullable=False),
        sa.Column("esito", sa.String(16), nullable=False),
        sa.Column("origine", sa.String(64), nullable=False),
        sa.Column("dettagli", sa.JSON, nullable=False),
    )
    for col in ("istante", "utente", "azione"):
        op.create_index(f"ix_audit_{col}", "audit", [col])


def downgrade() -> None:
    for name in ("audit", "api_keys", "utenti", "manutenzioni_impianti", "strumenti", "operatori_cait",
                 "manutentori", "cait_enti", "cait"):
        op.drop_table(name)
