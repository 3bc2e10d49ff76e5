"""search finds tickets by the names of their files: tickets with files are indexed again

Revision ID: 0017_search_file_names
Revises: 0016_file_removed_event
Create Date: 2026-12-06

Each ticket's entry now ends with the names of its files: those on the description and
public replies in its public text, those on internal notes in the notes' text (see
ticketdesk/services/search_index.py). Only tickets with files change; their entries are
made again from their rows. Downgrading leaves the names in: the earlier code reads the
entries without caring what text they hold.
"""
from alembic import op


revision = '0017_search_file_names'
down_revision = '0016_file_removed_event'
branch_labels = None
depends_on = None

# Written out rather than imported: a migration must not change when the models do.
SQLITE_UNINDEX = "DELETE FROM ticket_search WHERE rowid IN (SELECT ticket_id FROM attachments)"
SQLITE_INDEX = r"""
INSERT INTO ticket_search (rowid, title, body, internal, requester)
SELECT t.id, t.title,
  substr(t.description || coalesce((SELECT char(10) || group_concat(c.body, char(10))
                                    FROM comments c WHERE c.ticket_id = t.id AND c.internal = 0),
                                   '')
         || coalesce((SELECT char(10) || group_concat(a.filename, char(10)) FROM attachments a
   LEFT JOIN comments c ON c.id = a.comment_id WHERE a.ticket_id = t.id AND coalesce(c.internal, 0) = 0), ''), 1, 100000),
  substr(coalesce((SELECT group_concat(c.body, char(10)) FROM comments c
                   WHERE c.ticket_id = t.id AND c.internal = 1), '')
         || coalesce((SELECT char(10) || group_concat(a.filename, char(10)) FROM attachments a
   LEFT JOIN comments c ON c.id = a.comment_id WHERE a.ticket_id = t.id AND c.internal = 1), ''), 1, 100000),
  char(57346) || 'u' || t.requester_id
FROM tickets t
WHERE t.id IN (SELECT ticket_id FROM attachments)"""
POSTGRESQL_INDEX = r"""
INSERT INTO ticket_search (ticket_id, body, internal, document)
SELECT s.id, s.body, s.internal, words || array_to_tsvector(ARRAY(
  SELECT lexeme || '#' || (s.id / 10000) FROM unnest(tsvector_to_array(words)) AS lexeme
  WHERE octet_length(lexeme) <= 2000))
FROM (
  SELECT t.id, t.title,
    left(t.description || coalesce((SELECT E'\n' || string_agg(c.body, E'\n' ORDER BY c.id)
                                    FROM comments c WHERE c.ticket_id = t.id AND NOT c.internal),
                                   '')
         || coalesce((SELECT E'\n' || string_agg(a.filename, E'\n' ORDER BY a.id) FROM attachments a
   LEFT JOIN comments c ON c.id = a.comment_id WHERE a.ticket_id = t.id AND c.internal IS NOT TRUE), ''), 100000) AS body,
    left(coalesce((SELECT string_agg(c.body, E'\n' ORDER BY c.id)
                   FROM comments c WHERE c.ticket_id = t.id AND c.internal), '')
         || coalesce((SELECT E'\n' || string_agg(a.filename, E'\n' ORDER BY a.id) FROM attachments a
   LEFT JOIN comments c ON c.id = a.comment_id WHERE a.ticket_id = t.id AND c.internal), ''), 100000) AS internal
  FROM tickets t WHERE t.id IN (SELECT ticket_id FROM attachments) OFFSET 0
) s,
LATERAL (SELECT to_tsvector('english', s.title) AS title, to_tsvector('english', s.body) AS body,
                to_tsvector('english', s.internal) AS internal OFFSET 0) v,
LATERAL (SELECT setweight((v.title || to_tsvector('english', regexp_replace(array_to_string(ARRAY(
  SELECT lexeme FROM unnest(tsvector_to_array(v.title)) AS lexeme
  WHERE lexeme ~ '[^[:alnum:]]'), ' '), '[^[:alnum:]]+', ' ', 'g'))), 'A')
                || setweight((v.body || to_tsvector('english', regexp_replace(array_to_string(ARRAY(
  SELECT lexeme FROM unnest(tsvector_to_array(v.body)) AS lexeme
  WHERE lexeme ~ '[^[:alnum:]]'), ' '), '[^[:alnum:]]+', ' ', 'g'))), 'B')
                || setweight((v.internal || to_tsvector('english', regexp_replace(array_to_string(ARRAY(
  SELECT lexeme FROM unnest(tsvector_to_array(v.internal)) AS lexeme
  WHERE lexeme ~ '[^[:alnum:]]'), ' '), '[^[:alnum:]]+', ' ', 'g'))), 'D') AS words OFFSET 0) w
ON CONFLICT (ticket_id) DO UPDATE
  SET body = excluded.body, internal = excluded.internal, document = excluded.document"""


def upgrade():
    if op.get_bind().dialect.name == "sqlite":
        op.execute(SQLITE_UNINDEX)
        op.execute(SQLITE_INDEX)
    else:
        op.execute(POSTGRESQL_INDEX)


def downgrade():
    pass
