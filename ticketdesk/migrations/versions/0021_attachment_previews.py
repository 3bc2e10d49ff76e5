"""a preview of each large image attached, stored beside it

Revision ID: 0021_attachment_previews
Revises: 0020_search_accents
Create Date: 2026-12-06

Images stored before this have none, and are shown whole, as before.
"""
from alembic import op
import sqlalchemy as sa


revision = '0021_attachment_previews'
down_revision = '0020_search_accents'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('attachments', sa.Column('preview_key', sa.String(length=64), nullable=True))
    op.create_index(
        'ix_attachments_preview_key', 'attachments', ['preview_key'], unique=True
    )


def downgrade():
    op.drop_index('ix_attachments_preview_key', table_name='attachments')
    # The previews' files are left to `ticketdesk cleanup`, which finds no row for them.
    with op.batch_alter_table('attachments') as batch:
        batch.drop_column('preview_key')
