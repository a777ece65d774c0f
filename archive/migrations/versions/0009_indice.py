"""Archive identity and outbox states (issue 12): the owner of a document, idempotency of the
same bytes within one owner, anomalies found on retrieval, the reason of a retention date, and
the outbox's dead letters.

Revision ID: 0009_indice
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0009_indice"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("archivio_documenti") as t:
        t.add_column(sa.Column("titolare", sa.String(200), nullable=False, server_default=""))
        t.add_column(sa.Column("nota_conservazione", sa.String(300), nullable=True))
        t.add_column(sa.Column("anomalia", sa.Text(), nullable=True))
        t.add_column(sa.Column("anomalia_il", sa.DateTime(timezone=True), nullable=True))
    op.execute("UPDATE archivio_documenti SET titolare = COALESCE(ente, '-') || '|' || COALESCE(cait, '-')")
    op.create_index("ix_archivio_documenti_titolare_sha256", "archivio_documenti", ["titolare", "sha256"])
    with op.batch_alter_table("archivio_outbox") as t:
        t.add_column(sa.Column("titolare", sa.String(200), nullable=False, server_default=""))
        t.add_column(sa.Column("stato", sa.String(12), nullable=False, server_default="in_coda"))
        t.add_column(sa.Column("scartata_il", sa.DateTime(timezone=True), nullable=True))
    op.create_index("ix_archivio_outbox_titolare_sha256", "archivio_outbox", ["titolare", "sha256"])


def downgrade() -> None:
    op.drop_index("ix_archivio_outbox_titolare_sha256", table_name="archivio_outbox")
    with op.batch_alter_table("archivio_outbox") as t:
        t.drop_column("scartata_il")
        t.drop_column("stato")
        t.drop_column("titolare")
    op.drop_index("ix_archivio_documenti_titolare_sha256", table_name="archivio_documenti")
    with op.batch_alter_table("archivio_documenti") as t:
        t.drop_column("anomalia_il")
        t.drop_column("anomalia")
        t.drop_column("nota_conservazione")
        t.drop_column("titolare")
