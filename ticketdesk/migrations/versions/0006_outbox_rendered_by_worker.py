"""outbox rows say what they are about; the worker renders their content

Revision ID: 0006_outbox_rendered_by_worker
Revises: 0005_password_resets
Create Date: 2026-11-26

"""
from alembic import op
import sqlalchemy as sa


revision = '0006_outbox_rendered_by_worker'
down_revision = '0005_password_resets'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('recipient_name', sa.String(length=120), nullable=True))
        batch_op.add_column(sa.Column('actor_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('comment_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('ticket_status', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('thread_refs', sa.Text(), nullable=True))
        batch_op.alter_column('content', existing_type=sa.Text(), nullable=True)
        batch_op.create_foreign_key(batch_op.f('fk_outbox_messages_actor_id_users'), 'users', ['actor_id'], ['id'], ondelete='SET NULL')
        batch_op.create_foreign_key(batch_op.f('fk_outbox_messages_comment_id_comments'), 'comments', ['comment_id'], ['id'], ondelete='SET NULL')


def downgrade():
    # Rows still waiting for the worker have no content to keep: render or drop them first.
    op.execute("DELETE FROM outbox_messages WHERE content IS NULL")
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_outbox_messages_comment_id_comments'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_outbox_messages_actor_id_users'), type_='foreignkey')
        batch_op.alter_column('content', existing_type=sa.Text(), nullable=False)
        batch_op.drop_column('thread_refs')
        batch_op.drop_column('ticket_status')
        batch_op.drop_column('comment_id')
        batch_op.drop_column('actor_id')
        batch_op.drop_column('recipient_name')
