"""admins list mail that made no ticket: failed mail keeps its From, subject and envelope;
refused and ignored mail is found by outcome

Revision ID: 0026_failed_mail_listed
Revises: 0025_queue_names_folded
Create Date: 2026-12-07

Failed mail kept before this shows no From or subject (its reason and bytes are kept).
"""
from alembic import op
import sqlalchemy as sa


revision = '0026_failed_mail_listed'
down_revision = '0025_queue_names_folded'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('failed_mail') as batch:
        batch.add_column(sa.Column('sender', sa.String(length=254), nullable=True))
        batch.add_column(sa.Column('subject', sa.String(length=250), nullable=True))
        batch.add_column(sa.Column('envelope_sender', sa.String(length=254), nullable=True))
        batch.add_column(sa.Column('recipients', sa.Text(), nullable=True))
    op.create_index(
        'ix_inbound_messages_outcome', 'inbound_messages', ['outcome', 'id'], unique=False
    )


def downgrade():
    op.drop_index('ix_inbound_messages_outcome', table_name='inbound_messages')
    with op.batch_alter_table('failed_mail') as batch:
        batch.drop_column('recipients')
        batch.drop_column('envelope_sender')
        batch.drop_column('subject')
        batch.drop_column('sender')
