"""an index of the staff by name, apart from the customers

Revision ID: 0019_staff_by_name
Revises: 0018_people_search
Create Date: 2026-12-06

Listing the staff (every staff page, every new ticket's notices) scanned every account
on SQLite once customers were many. A partial index holds the staff alone, by name.
"""
from alembic import op
import sqlalchemy as sa


revision = '0019_staff_by_name'
down_revision = '0018_people_search'
branch_labels = None
depends_on = None

STAFF = sa.text("role IN ('staff', 'admin')")


def upgrade():
    op.create_index(
        'ix_users_staff_by_name', 'users', ['name'], sqlite_where=STAFF, postgresql_where=STAFF
    )


def downgrade():
    op.drop_index('ix_users_staff_by_name', table_name='users')
