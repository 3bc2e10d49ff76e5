"""merge the mail, search and security branches

Revision ID: 0003_merge
Revises: 0002_mail, 0002_search, 0002_security
Create Date: 2026-11-26

"""

revision = '0003_merge'
down_revision = ('0002_mail', '0002_search', '0002_security')
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
