"""Archive: index of archived documents, S3 outbox, paper originals, requests, notifications.

Revision ID: 0003
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0001"
branch_labels = ("archivio",)
depends_on = None


def upgrade() -> None:
    op.create_table('archivio_documenti',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('tipo', sa.String(length=40), nullable=False),
    sa.Column('codice_impianto', sa.String(length=20), nullable=True),
    sa.Column('ente', sa.String(length=80), nullable=True),
    sa.Column('cait', sa.String(length=80), nullable=True),
    sa.Column('manutentore', sa.String(length=200), nullable=True),
    sa.Column('etichetta', sa.String(length=40), nullable=True),
    sa.Column('responsabile_cf', sa.String(length=16), nullable=True),
    sa.Column('data_documento', sa.Date(), nullable=False),
    sa.Column('stagione', sa.String(length=9), nullable=False),
    sa.Column('s3_key', sa.String(length=512), nullable=False),
    sa.Column('version_id', sa.String(length=200), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('dimensione', sa.Integer(), nullable=False),
    sa.Column('firma_valida', sa.Boolean(), nullable=True),
    sa.Column('firma_esito', sa.JSON(), nullable=False),
    sa.Column('conserva_fino_al', sa.Date(), nullable=False),
    sa.Column('blocco_legale', sa.Boolean(), nullable=False),
    sa.Column('riferimento_temporale', sa.DateTime(timezone=True), nullable=False),
    sa.Column('oggetto', sa.String(length=500), nullable=False),
    sa.Column('autore', sa.String(length=200), nullable=True),
    sa.Column('destinatario', sa.String(length=200), nullable=True),
    sa.Column('archiviato_il', sa.DateTime(timezone=True), nullable=False),
    sa.Column('smaltito_il', sa.DateTime(timezone=True), nullable=True),
    sa.Column('smaltito_da', sa.String(length=120), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_archivio_documenti'))
    )
    op.create_index('ix_archivio_documenti_cait_data', 'archivio_documenti', ['cait', 'data_documento', 'id'], unique=False)
    op.create_index('ix_archivio_documenti_codice_impianto_data', 'archivio_documenti', ['codice_impianto', 'data_documento', 'id'], unique=False)
    op.create_index('ix_archivio_documenti_conserva', 'archivio_documenti', ['conserva_fino_al'], unique=False)
    op.create_index('ix_archivio_documenti_data', 'archivio_documenti', ['data_documento', 'id'], unique=False)
    op.create_index('ix_archivio_documenti_ente_data', 'archivio_documenti', ['ente', 'data_documento', 'id'], unique=False)
    op.create_index('ix_archivio_documenti_ente_stagione', 'archivio_documenti', ['ente', 'stagione', 'data_documento', 'id'], unique=False)
    op.create_index('ix_archivio_documenti_etichetta_data', 'archivio_documenti', ['etichetta', 'data_documento', 'id'], unique=False)
    op.create_index('ix_archivio_documenti_responsabile_cf_data', 'archivio_documenti', ['responsabile_cf', 'data_documento', 'id'], unique=False)
    op.create_index('ix_archivio_documenti_sha256', 'archivio_documenti', ['sha256'], unique=False)
    op.create_index('ix_archivio_documenti_stagione_data', 'archivio_documenti', ['stagione', 'data_documento', 'id'], unique=False)
    op.create_index('ix_archivio_documenti_tipo_data', 'archivio_documenti', ['tipo', 'data_documento', 'id'], unique=False)
    op.create_table('archivio_outbox',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('documento_id', sa.String(length=64), nullable=False),
    sa.Column('s3_key', sa.String(length=512), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('dati', sa.LargeBinary(), nullable=False),
    sa.Column('metadati_s3', sa.JSON(), nullable=False),
    sa.Column('indice', sa.JSON(), nullable=False),
    sa.Column('tentativi', sa.Integer(), nullable=False),
    sa.Column('prossimo_tentativo', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ultimo_errore', sa.Text(), nullable=True),
    sa.Column('creata_il', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_archivio_outbox')),
    sa.UniqueConstraint('s3_key', 'sha256', name='uq_archivio_outbox_chiave_hash')
    )
    op.create_index(op.f('ix_archivio_outbox_documento_id'), 'archivio_outbox', ['documento_id'], unique=False)
    op.create_index(op.f('ix_archivio_outbox_prossimo_tentativo'), 'archivio_outbox', ['prossimo_tentativo'], unique=False)
    op.create_table('archivio_originali',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('documento_id', sa.String(length=64), nullable=False),
    sa.Column('detentore_tipo', sa.String(length=8), nullable=False),
    sa.Column('detentore', sa.String(length=80), nullable=False),
    sa.Column('faldone', sa.String(length=40), nullable=True),
    sa.Column('scatola', sa.String(length=40), nullable=True),
    sa.Column('posizione', sa.String(length=40), nullable=True),
    sa.Column('dal', sa.Date(), nullable=False),
    sa.Column('ricevuto_il', sa.Date(), nullable=False),
    sa.Column('conserva_fino_al', sa.Date(), nullable=False),
    sa.ForeignKeyConstraint(['documento_id'], ['archivio_documenti.id'], name=op.f('fk_archivio_originali_documento_id_archivio_documenti')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_archivio_originali')),
    sa.UniqueConstraint('documento_id', name=op.f('uq_archivio_originali_documento_id'))
    )
    op.create_index('ix_archivio_originali_detentore', 'archivio_originali', ['detentore_tipo', 'detentore'], unique=False)
    op.create_table('archivio_versioni',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('documento_id', sa.String(length=64), nullable=False),
    sa.Column('version_id', sa.String(length=200), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('conserva_fino_al', sa.Date(), nullable=False),
    sa.Column('archiviato_il', sa.DateTime(timezone=True), nullable=False),
    sa.Column('smaltito_il', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['documento_id'], ['archivio_documenti.id'], name=op.f('fk_archivio_versioni_documento_id_archivio_documenti')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_archivio_versioni'))
    )
    op.create_index(op.f('ix_archivio_versioni_documento_id'), 'archivio_versioni', ['documento_id'], unique=False)
    op.create_table('archivio_richieste',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('originale_id', sa.Integer(), nullable=False),
    sa.Column('ente_richiedente', sa.String(length=80), nullable=False),
    sa.Column('detentore_tipo', sa.String(length=8), nullable=False),
    sa.Column('detentore', sa.String(length=80), nullable=False),
    sa.Column('richiesta_il', sa.Date(), nullable=False),
    sa.Column('scadenza', sa.Date(), nullable=False),
    sa.Column('stato', sa.String(length=10), nullable=False),
    sa.Column('inviato_il', sa.Date(), nullable=True),
    sa.Column('ricevuto_il', sa.Date(), nullable=True),
    sa.Column('richiesto_da', sa.String(length=120), nullable=False),
    sa.ForeignKeyConstraint(['originale_id'], ['archivio_originali.id'], name=op.f('fk_archivio_richieste_originale_id_archivio_originali')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_archivio_richieste'))
    )
    op.create_index('ix_archivio_richieste_detentore_stato', 'archivio_richieste', ['detentore', 'stato', 'scadenza'], unique=False)
    op.create_index(op.f('ix_archivio_richieste_originale_id'), 'archivio_richieste', ['originale_id'], unique=False)
    op.create_table('archivio_trasferimenti',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('originale_id', sa.Integer(), nullable=False),
    sa.Column('da_tipo', sa.String(length=8), nullable=False),
    sa.Column('da', sa.String(length=80), nullable=False),
    sa.Column('a_tipo', sa.String(length=8), nullable=False),
    sa.Column('a', sa.String(length=80), nullable=False),
    sa.Column('il', sa.Date(), nullable=False),
    sa.Column('eseguito_da', sa.String(length=120), nullable=False),
    sa.Column('registrato_il', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['originale_id'], ['archivio_originali.id'], name=op.f('fk_archivio_trasferimenti_originale_id_archivio_originali')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_archivio_trasferimenti'))
    )
    op.create_index(op.f('ix_archivio_trasferimenti_originale_id'), 'archivio_trasferimenti', ['originale_id'], unique=False)
    op.create_table('archivio_notifiche',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('destinatario_tipo', sa.String(length=8), nullable=False),
    sa.Column('destinatario', sa.String(length=80), nullable=False),
    sa.Column('richiesta_id', sa.Integer(), nullable=True),
    sa.Column('testo', sa.Text(), nullable=False),
    sa.Column('creata_il', sa.DateTime(timezone=True), nullable=False),
    sa.Column('letta_il', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['richiesta_id'], ['archivio_richieste.id'], name=op.f('fk_archivio_notifiche_richiesta_id_archivio_richieste')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_archivio_notifiche'))
    )
    op.create_index('ix_archivio_notifiche_destinatario', 'archivio_notifiche', ['destinatario_tipo', 'destinatario'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_archivio_notifiche_destinatario', table_name='archivio_notifiche')
    op.drop_table('archivio_notifiche')
    op.drop_index(op.f('ix_archivio_trasferimenti_originale_id'), table_name='archivio_trasferimenti')
    op.drop_table('archivio_trasferimenti')
    op.drop_index(op.f('ix_archivio_richieste_originale_id'), table_name='archivio_richieste')
    op.drop_index('ix_archivio_richieste_detentore_stato', table_name='archivio_richieste')
    op.drop_table('archivio_richieste')
    op.drop_index(op.f('ix_archivio_versioni_documento_id'), table_name='archivio_versioni')
    op.drop_table('archivio_versioni')
    op.drop_index('ix_archivio_originali_detentore', table_name='archivio_originali')
    op.drop_table('archivio_originali')
    op.drop_index(op.f('ix_archivio_outbox_prossimo_tentativo'), table_name='archivio_outbox')
    op.drop_index(op.f('ix_archivio_outbox_documento_id'), table_name='archivio_outbox')
    op.drop_table('archivio_outbox')
    op.drop_index('ix_archivio_documenti_tipo_data', table_name='archivio_documenti')
    op.drop_index('ix_archivio_documenti_stagione_data', table_name='archivio_documenti')
    op.drop_index('ix_archivio_documenti_sha256', table_name='archivio_documenti')
    op.drop_index('ix_archivio_documenti_responsabile_cf_data', table_name='archivio_documenti')
    op.drop_index('ix_archivio_documenti_etichetta_data', table_name='archivio_documenti')
    op.drop_index('ix_archivio_documenti_ente_stagione', table_name='archivio_documenti')
    op.drop_index('ix_archivio_documenti_ente_data', table_name='archivio_documenti')
    op.drop_index('ix_archivio_documenti_data', table_name='archivio_documenti')
    op.drop_index('ix_archivio_documenti_conserva', table_name='archivio_documenti')
    op.drop_index('ix_archivio_documenti_codice_impianto_data', table_name='archivio_documenti')
    op.drop_index('ix_archivio_documenti_cait_data', table_name='archivio_documenti')
    op.drop_table('archivio_documenti')
