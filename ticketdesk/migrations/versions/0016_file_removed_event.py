"""ticket history records files removed by staff (event kind 'file_removed')

Revision ID: 0016_file_removed_event
Revises: 0015_search_word_parts
Create Date: 2026-12-06

"""
from alembic import op
import sqlalchemy as sa


revision = '0016_file_removed_event'
down_revision = '0015_search_word_parts'
branch_labels = None
depends_on = None

OLD_KINDS = (
    'created', 'status', 'priority', 'assignee', 'queue', 'title', 'description',
    'comment', 'internal_note', 'mail',
)
NEW_KINDS = OLD_KINDS + ('file_removed',)


def _kind_column(kinds):
    return sa.Column(
        'kind',
        sa.Enum(*kinds, name='event_kind', native_enum=False, create_constraint=True, length=20),
        nullable=False,
    )


def _replace_check(kinds):
    """Swap the CHECK constraint that lists the allowed kinds."""
    if op.get_bind().dialect.name == 'sqlite':
        # SQLite cannot alter a constraint: batch mode copies the table with the new one
        # (which 0004's copy named after the enum).
        with op.batch_alter_table(
            'ticket_events', recreate='always', reflect_args=[_kind_column(kinds)]
        ) as batch_op:
            batch_op.drop_constraint(op.f('event_kind'), type_='check')
        return
    op.drop_constraint(op.f('ck_ticket_events_event_kind'), 'ticket_events', type_='check')
    quoted = ', '.join(f"'{kind}'" for kind in kinds)
    op.create_check_constraint(
        op.f('ck_ticket_events_event_kind'), 'ticket_events', f'kind IN ({quoted})'
    )


def upgrade():
    _replace_check(NEW_KINDS)


def downgrade():
    op.execute("DELETE FROM ticket_events WHERE kind = 'file_removed'")
    _replace_check(OLD_KINDS)
