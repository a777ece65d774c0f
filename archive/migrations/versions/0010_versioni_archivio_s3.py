"""Ledger of every S3 object version the archive created or adopted (archive/versioni.py).

Revision ID: 0010_versioni
Revises: 0001 (new branch ``versioni_s3``)
"""

import sqlalchemy as sa
from alembic import op

revision = "0010_versioni"
down_revision = "0001"
branch_labels = ("versioni_s3",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "archivio_versioni_s3",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("bucket", sa.String(length=63), nullable=False),
        sa.Column("s3_key", sa.String(length=512), nullable=False),
        sa.Column("version_id", sa.String(length=200), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("dimensione", sa.BigInteger(), nullable=False),
        sa.Column("conserva_fino_al", sa.DateTime(timezone=True), nullable=False),
        sa.Column("adottata", sa.Boolean(), nullable=False),
        sa.Column("registrata_il", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_archivio_versioni_s3")),
        sa.UniqueConstraint("bucket", "s3_key", "version_id", name="uq_archivio_versioni_s3_versione"),
    )
    op.create_index("ix_archivio_versioni_s3_chiave", "archivio_versioni_s3", ["bucket", "s3_key"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_archivio_versioni_s3_chiave", table_name="archivio_versioni_s3")
    op.drop_table("archivio_versioni_s3")
