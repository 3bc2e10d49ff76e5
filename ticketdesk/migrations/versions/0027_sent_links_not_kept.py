"""mail with a password link keeps no link once sent or given up on

Revision ID: 0027_sent_links_not_kept
Revises: 0026_failed_mail_listed
Create Date: 2027-01-04

The worker now empties such a row's content as it records it sent or dead; this does
the same for the rows recorded before. Nothing to undo: the links are gone.
"""
from alembic import op
import sqlalchemy as sa


revision = '0027_sent_links_not_kept'
down_revision = '0026_failed_mail_listed'
branch_labels = None
depends_on = None

LINK_KINDS = ('password_reset', 'welcome', 'account_exists')


def upgrade():
    outbox = sa.table(
        'outbox_messages', sa.column('kind', sa.String), sa.column('status', sa.String),
        sa.column('content', sa.Text),
    )
    op.execute(
        outbox.update()
        .where(outbox.c.kind.in_(LINK_KINDS), outbox.c.status.in_(('sent', 'dead')))
        .values(content=None)
    )


def downgrade():
    pass
