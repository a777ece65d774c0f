"""One owner's bytes are one document (issue 12): the (titolare, sha256) index of archived documents
becomes unique among documents not disposed of whose id the archive generated, so that two
simultaneous uploads of the same bytes by one owner cannot become two documents
(``archive.indice.registra`` adopts the row that won). A document whose id the caller gave (a CAIT
record's number, ``archivia --id``) is keyed by that id, its primary key: new column ``id_stabile``,
set here for the existing ids that are not 32 hex digits (``indice.nuovo_id``, and the earlier
content-derived ids, are 32 hex digits).

Documents already duplicated keep everything (row, S3 object, versions, originals, legal hold):
in each (titolare, sha256) group of generated-id documents not disposed of, the oldest (``archiviato_il``, then
``id``) keeps the owner key; each other one gets ``doppione:<its own id>#<titolare>`` (unique, and
within the column's 200 characters). The owner key only serves idempotency (who may read or write
a document follows ``ente``/``cait``), so they stay searchable and readable; only a new upload of
those bytes now finds the oldest. The downgrade gives them their owner key back
(``titolare(ente, cait)``, as revision 0009 computed it).

Revision ID: 0015_indice_unico
Revises: 0009_indice
"""

import re

import sqlalchemy as sa
from alembic import op

revision = "0015_indice_unico"
down_revision = "0009_indice"
branch_labels = None
depends_on = None

_SEGNO = "doppione:"
_GENERATO = re.compile(r"[0-9a-f]{32}")


def upgrade() -> None:
    with op.batch_alter_table("archivio_documenti") as t:
        t.add_column(sa.Column("id_stabile", sa.Boolean(), nullable=False, server_default=sa.false()))
    conn = op.get_bind()
    for (doc_id,) in conn.execute(sa.text("SELECT id FROM archivio_documenti")).all():
        if not _GENERATO.fullmatch(doc_id):
            conn.execute(sa.text("UPDATE archivio_documenti SET id_stabile = :v WHERE id = :id"),
                         {"v": True, "id": doc_id})
    righe = conn.execute(sa.text(
        "SELECT id, titolare, sha256 FROM archivio_documenti WHERE smaltito_il IS NULL AND id_stabile = :f "
        "ORDER BY titolare, sha256, archiviato_il, id"), {"f": False}).all()
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
                    unique=True, postgresql_where=sa.text("smaltito_il IS NULL AND NOT id_stabile"),
                    sqlite_where=sa.text("smaltito_il IS NULL AND id_stabile = 0"))


def downgrade() -> None:
    op.drop_index("uq_archivio_documenti_titolare_sha256", table_name="archivio_documenti")
    op.create_index("ix_archivio_documenti_titolare_sha256", "archivio_documenti", ["titolare", "sha256"])
    op.execute(sa.text("UPDATE archivio_documenti SET titolare = COALESCE(ente, '-') || '|' || COALESCE(cait, '-') "
                       f"WHERE titolare LIKE '{_SEGNO}%'"))
    with op.batch_alter_table("archivio_documenti") as t:
        t.drop_column("id_stabile")
