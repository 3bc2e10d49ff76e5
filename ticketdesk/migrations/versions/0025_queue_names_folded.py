"""queue names are unique whatever their case (a unique index on lower(name))

Revision ID: 0025_queue_names_folded
Revises: 0024_email_changed_event
Create Date: 2026-12-09

Names were unique only as typed: "Billing" and "billing" could both be made, and then
looked the same in every list. QueueManager now compares names casefolded (NFKC, then
casefold), and this index lets only one of two requests checked at once commit a name
in another case. lower() folds ASCII alone on SQLite, and on PostgreSQL what the
database's collation folds: the service's check is the rule, the index its backstop.

A database that already holds queues named alike must not fail to upgrade: the queue
made first (the lowest id) keeps its name, and each later one is renamed with the
first free number after it, "billing (2)", "BILLING (3)" (cut to 120 characters).
Only names change: ids, slugs, tickets, history and the settings that find queues by
their slugs stay as they were. Each rename is printed (to the standard error of
`ticketdesk init`), for the admins to choose better names (/admin/queues). Queues alike
for either fold (the service's, or the database's lower()) count as named alike, so the
index is always made. The downgrade drops the index and leaves the new names.
"""
import sys
import unicodedata

from alembic import op
import sqlalchemy as sa


revision = '0025_queue_names_folded'
down_revision = '0024_email_changed_event'
branch_labels = None
depends_on = None

INDEX = 'uq_queues_name_folded'
NAME_MAX = 120
LOWER = sa.text('SELECT lower(:name)').bindparams(sa.bindparam('name', type_=sa.String))


def folded(name):
    """As QueueManager compares names (services/queues.py, folded_name, at 0025)."""
    return unicodedata.normalize('NFKC', name).casefold()


def _renamed(bind, name, taken):
    """The name with the first number after it that no queue's name has, by either fold."""
    number = 1
    while True:
        number += 1
        suffix = f' ({number})'
        candidate = name[: NAME_MAX - len(suffix)].rstrip() + suffix
        keys = {folded(candidate), bind.scalar(LOWER, {'name': candidate})}
        if not keys & taken:
            return candidate, keys


def upgrade():
    bind = op.get_bind()
    queues = bind.execute(sa.text('SELECT id, name, lower(name) FROM queues ORDER BY id')).all()
    # Every name's keys, those of the queues renamed too: a later queue may already be
    # called "billing (2)", and its name is kept.
    taken = {key for _, name, lowered in queues for key in (folded(name), lowered)}
    kept = set()
    for queue_id, name, lowered in queues:
        keys = {folded(name), lowered}
        if not keys & kept:
            kept |= keys
            continue
        new_name, new_keys = _renamed(bind, name, taken)
        taken |= new_keys
        kept |= new_keys
        bind.execute(
            sa.text('UPDATE queues SET name = :name WHERE id = :id'),
            {'name': new_name, 'id': queue_id},
        )
        # Printed, not logged: alembic's loggers write nowhere unless the app says where.
        print(
            f'Queue {queue_id} renamed from {name!r} to {new_name!r}: an older queue has '
            'that name in another case.',
            file=sys.stderr,
        )
    op.create_index(INDEX, 'queues', [sa.text('lower(name)')], unique=True)


def downgrade():
    op.drop_index(INDEX, table_name='queues')
