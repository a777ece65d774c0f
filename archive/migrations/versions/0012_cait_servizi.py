"""CAIT services: the Portafoglio IBAN of a manutentore and provisional passwords sent by e-mail
(archive/anagrafiche.py).

Revision ID: 0012_cait_servizi
Revises: 0001 (depends on 0004: manutentori)
"""

import sqlalchemy as sa
from alembic import op

revision = "0012_cait_servizi"
down_revision = "0001"
branch_labels = ("cait_servizi",)
depends_on = ("0004",)


def upgrade() -> None:
    op.create_table(
        "portafoglio_iban",
        sa.Column("manutentore_id", sa.Integer(), nullable=False),
        sa.Column("iban", sa.String(34), nullable=False),
        sa.Column("intestatario", sa.String(200), nullable=False),
        sa.Column("registrato_il", sa.DateTime(timezone=True), nullable=False),
        sa.Column("utente", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("manutentore_id", name="pk_portafoglio_iban"),
        sa.ForeignKeyConstraint(["manutentore_id"], ["manutentori.id"],
                                name="fk_portafoglio_iban_manutentore_id_manutentori"),
    )
    op.create_table(
        "password_provvisorie",
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("creata_il", sa.DateTime(timezone=True), nullable=False),
        sa.Column("scade_il", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("username", name="pk_password_provvisorie"),
    )


def downgrade() -> None:
    op.drop_table("password_provvisorie")
    op.drop_table("portafoglio_iban")
