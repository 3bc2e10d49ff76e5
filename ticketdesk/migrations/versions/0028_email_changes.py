"""people change their own name and address: address changes waiting for their link,
and the security log's kinds 'email_change_asked' and 'name_changed'

Revision ID: 0028_email_changes
Revises: 0027_sent_links_not_kept
Create Date: 2027-01-05

"""
from alembic import op
import sqlalchemy as sa


revision = '0028_email_changes'
down_revision = '0027_sent_links_not_kept'
branch_labels = None
depends_on = None

OLD_KINDS = (
    'sign_in', 'sign_in_failed', 'sign_out', 'access_denied', 'role_changed',
    'activation_changed', 'password_changed', 'token_created', 'token_revoked',
    'reset_requested', 'user_created', 'email_changed',
)
NEW_KINDS = OLD_KINDS + ('email_change_asked', 'name_changed')


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
    """Swap the CHECK constraint that lists the allowed kinds (as 0024 does)."""
    if op.get_bind().dialect.name == 'sqlite':
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
    op.create_table('email_changes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('new_email', sa.String(length=254), nullable=False),
    sa.Column('secret_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_email_changes_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_email_changes')),
    sa.UniqueConstraint('secret_hash', name=op.f('uq_email_changes_secret_hash'))
    )
    with op.batch_alter_table('email_changes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_email_changes_user_id'), ['user_id'], unique=False)
    _replace_check(NEW_KINDS)


def downgrade():
    op.execute(
        "DELETE FROM security_events WHERE kind IN ('email_change_asked', 'name_changed')"
    )
    _replace_check(OLD_KINDS)
    with op.batch_alter_table('email_changes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_email_changes_user_id'))
    op.drop_table('email_changes')
