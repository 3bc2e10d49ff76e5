"""ticket history records how each received mail was threaded (event kind 'mail')

Revision ID: 0004_mail_event
Revises: 0003_merge
Create Date: 2026-11-26

"""
from alembic import op
import sqlalchemy as sa


revision = '0004_mail_event'
down_revision = '0003_merge'
branch_labels = None
depends_on = None

OLD_KINDS = (
    'created', 'status', 'priority', 'assignee', 'queue', 'title', 'description',
    'comment', 'internal_note',
)
NEW_KINDS = OLD_KINDS + ('mail',)


def _kind_column(kinds):
    return sa.Column(
        'kind',
        sa.Enum(*kinds, name='event_kind', native_enum=False, create_constraint=True, length=20),
        nullable=False,
    )


def _replace_check(kinds):
    """Swap the CHECK constraint that lists the allowed kinds."""
    if op.get_bind().dialect.name == 'sqlite':
        # SQLite cannot alter a constraint: batch mode copies the table with the new one.
        with op.batch_alter_table(
            'ticket_events', recreate='always', reflect_args=[_kind_column(kinds)]
        ) as batch_op:
            batch_op.drop_constraint(op.f('ck_ticket_events_event_kind'), type_='check')
        return
    op.drop_constraint(op.f('ck_ticket_events_event_kind'), 'ticket_events', type_='check')
    quoted = ', '.join(f"'{kind}'" for kind in kinds)
    op.create_check_constraint(
        op.f('ck_ticket_events_event_kind'), 'ticket_events', f'kind IN ({quoted})'
    )


def upgrade():
    _replace_check(NEW_KINDS)


def downgrade():
    op.execute("DELETE FROM ticket_events WHERE kind = 'mail'")
    _replace_check(OLD_KINDS)
