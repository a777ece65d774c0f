"""One owner's bytes are one document (issue 12): the (titolare, sha256) index of archived documents
becomes unique among documents not disposed of, so that two simultaneous uploads of the same bytes
by one owner cannot become two documents (``archive.indice.registra`` adopts the row that won).

Documents already duplicated keep everything (row, S3 object, versions, originals, legal hold):
in each (titolare, sha256) group of documents not disposed of, the oldest (``archiviato_il``, then
``id``) keeps the owner key; each other one gets ``doppione:<its own id>#<titolare>`` (unique, and
within the column's 200 characters). The owner key only serves idempotency (who may read or write
a document follows ``ente``/``cait``), so they stay searchable and readable; only a new upload of
those bytes now finds the oldest. The downgrade gives them their owner key back
(``titolare(ente, cait)``, as revision 0009 computed it).

Revision ID: 0015_indice_unico
Revises: 0009_indice
"""

import sqlalchemy as sa
from alembic import op

revision = "0015_indice_unico"
down_revision = "0009_indice"
branch_labels = None
depends_on = None

_SEGNO = "doppione:"
_DOVE = sa.text("smaltito_il IS NULL")


def upgrade() -> None:
    conn = op.get_bind()
    righe = conn.execute(sa.text(
        "SELECT id, titolare, sha256 FROM archivio_documenti WHERE smaltito_il IS NULL "
        "ORDER BY titolare, sha256, archiviato_il, id")).all()
    primo: dict[tuple[str, str], str] = {}
    for doc_id, titolare, sha in righe:
        chiave = (titolare, sha)
        if chiave not in primo:
            primo[chiave] = doc_id
            continue
        conn.execute(sa.text("UPDATE archivio_documenti SET titolare = :t WHERE id = :id"),
                     {"t": f"{_SEGNO}{doc_id}#{titolare}"[:200], "id": doc_id})
    op.drop_index("ix_archivio_documenti_titolare_sha256", table_name="archivio_documenti")
    op.create_index("uq_archivio_documenti_titolare_sha256", "archivio_documenti", ["titolare", "sha256"],
                    unique=True, postgresql_where=_DOVE, sqlite_where=_DOVE)


def downgrade() -> None:
    op.drop_index("uq_archivio_documenti_titolare_sha256", table_name="archivio_documenti")
    op.create_index("ix_archivio_documenti_titolare_sha256", "archivio_documenti", ["titolare", "sha256"])
    op.execute(sa.text("UPDATE archivio_documenti SET titolare = COALESCE(ente, '-') || '|' || COALESCE(cait, '-') "
                       f"WHERE titolare LIKE '{_SEGNO}%'"))
