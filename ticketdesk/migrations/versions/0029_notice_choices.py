"""staff choose the notices they are mailed: which new tickets (all, those of chosen
queues, none) and those of tickets assigned to them; everyone keeps what they had

Revision ID: 0029_notice_choices
Revises: 0028_email_changes
Create Date: 2027-01-12

"""
from alembic import op
import sqlalchemy as sa


revision = '0029_notice_choices'
down_revision = '0028_email_changes'
branch_labels = None
depends_on = None


def upgrade():
    # Written out rather than with batch_alter_table: SQLite adds a column with its CHECK
    # in place, where a batch would remake `users` and lose its people-search triggers.
    op.execute(
        "ALTER TABLE users ADD COLUMN new_ticket_notices VARCHAR(20) DEFAULT 'all' NOT NULL"
        " CONSTRAINT ck_users_new_ticket_notices"
        " CHECK (new_ticket_notices IN ('all', 'queues', 'none'))"
    )
    op.add_column(
        'users',
        sa.Column('assigned_notices', sa.Boolean(), server_default=sa.true(), nullable=False),
    )
    op.create_table('watched_queues',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('queue_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['queue_id'], ['queues.id'], name=op.f('fk_watched_queues_queue_id_queues'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_watched_queues_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', 'queue_id', name=op.f('pk_watched_queues'))
    )


def downgrade():
    op.drop_table('watched_queues')
    op.execute("ALTER TABLE users DROP COLUMN assigned_notices")
    op.execute("ALTER TABLE users DROP COLUMN new_ticket_notices")
