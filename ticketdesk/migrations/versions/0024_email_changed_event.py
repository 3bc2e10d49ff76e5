"""the security log records changes of address (event kind 'email_changed')

Revision ID: 0024_email_changed_event
Revises: 0023_queue_ids_kept
Create Date: 2026-12-08

"""
from alembic import op
import sqlalchemy as sa


revision = '0024_email_changed_event'
down_revision = '0023_queue_ids_kept'
branch_labels = None
depends_on = None

OLD_KINDS = (
    'sign_in', 'sign_in_failed', 'sign_out', 'access_denied', 'role_changed',
    'activation_changed', 'password_changed', 'token_created', 'token_revoked',
    'reset_requested', 'user_created',
)
NEW_KINDS = OLD_KINDS + ('email_changed',)


def _kind_column(kinds):
    return sa.Column(
        'kind',
        sa.Enum(
            *kinds, name='security_event_kind', native_enum=False, create_constraint=True,
            length=20,
        ),
        nullable=False,
    )


def _replace_check(kinds):
    """Swap the CHECK constraint that lists the allowed kinds."""
    if op.get_bind().dialect.name == 'sqlite':
        # SQLite cannot alter a constraint: batch mode copies the table with the new one
        # (named after the enum; 0002 named it by the convention).
        checks = sa.inspect(op.get_bind()).get_check_constraints('security_events')
        with op.batch_alter_table(
            'security_events', recreate='always', reflect_args=[_kind_column(kinds)]
        ) as batch_op:
            for check in checks:
                if 'kind' in check['sqltext']:
                    batch_op.drop_constraint(op.f(check['name']), type_='check')
        return
    name = op.f('ck_security_events_security_event_kind')
    op.drop_constraint(name, 'security_events', type_='check')
    quoted = ', '.join(f"'{kind}'" for kind in kinds)
    op.create_check_constraint(name, 'security_events', f'kind IN ({quoted})')


def upgrade():
    _replace_check(NEW_KINDS)


def downgrade():
    op.execute("DELETE FROM security_events WHERE kind = 'email_changed'")
    _replace_check(OLD_KINDS)
