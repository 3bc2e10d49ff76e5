"""Words too common to search for (PostgreSQL's English stop words), on every backend.

PostgreSQL's `english` configuration keeps them out of its documents and queries; SQLite's
FTS5 keeps them, so its search leaves them out of the query, for both to find the same
tickets.
"""

from __future__ import annotations

import pytest
from sqlalchemy import Text, bindparam, text
from sqlalchemy.dialects.postgresql import ARRAY

from tests.conftest import PG_URL
from tests.search.test_search import ids
from ticketdesk.extensions import db
from ticketdesk.models.text_search import ENGLISH
from ticketdesk.services.search import search_phrases, searched_phrases
from ticketdesk.services.stop_words import STOP_WORDS, is_stop_word


@pytest.fixture
def on_sqlite(database_url):
    return database_url.startswith("sqlite")


def search(client, q):
    response = client.get("/api/v1/tickets", query_string={"q": q})
    assert response.status_code == 200, response.json
    return response.json


@pytest.fixture
def vpn_tickets(factory, customer):
    """Two tickets about the VPN that hold none of "why is the down", and one about printers."""
    tickets = [
        factory.ticket(customer, title="VPN drops every hour", description="Since Monday."),
        factory.ticket(customer, title="Cannot connect", description="VPN client says timeout."),
    ]
    factory.ticket(customer, title="Printer offline", description="Why is the printer down?")
    return tickets


def test_a_question_in_plain_words_finds_the_tickets_about_its_subject(as_staff, vpn_tickets):
    page = search(as_staff, "why is the vpn down")

    assert sorted(ids_of(page)) == sorted(ticket.id for ticket in vpn_tickets)
    assert page["ignored_words"] == ["why", "is", "the", "down"]


def test_a_stop_word_beside_a_word_does_not_narrow_the_search(as_staff, factory, customer):
    plain = factory.ticket(customer, title="Printer jams", description="Paper stuck.")
    with_the = factory.ticket(customer, title="Offline", description="The printer is offline.")

    assert sorted(ids(as_staff.get("/api/v1/tickets?q=the+printer"))) == [plain.id, with_the.id]


def test_customers_still_find_only_their_own_tickets(
    as_customer, factory, customer, other_customer, vpn_tickets
):
    factory.ticket(other_customer, title="VPN is down for me too")

    found = ids_of(search(as_customer, "why is the vpn down"))

    assert sorted(found) == sorted(ticket.id for ticket in vpn_tickets)


def test_a_stop_word_left_out_is_not_marked_in_the_snippet(as_staff, factory, customer):
    factory.ticket(customer, title="Remote", description="Is the VPN up? The VPN is slow.")

    snippet = search(as_staff, "is the vpn")["items"][0]["snippet"]

    assert "<mark>VPN</mark>" in snippet
    assert "<mark>" not in snippet.replace("<mark>VPN</mark>", "")


def test_a_phrase_with_a_stop_word_inside_is_still_found(as_staff, factory, customer):
    ticket = factory.ticket(customer, title="Jam", description="The printer in room 4 jams.")
    factory.ticket(customer, title="Cold", description="Printer fixed in the hall; room 4 cold.")

    assert ids(as_staff.get('/api/v1/tickets?q="printer in room"')) == [ticket.id]


def test_a_query_of_stop_words_alone_is_searched_as_typed_on_sqlite_and_said_on_postgresql(
    on_sqlite, as_staff, factory, customer
):
    # FTS5's index holds these words; PostgreSQL's holds none of them.
    sync = factory.ticket(customer, title="Sync", description="It is the sync: don't, it's slow.")
    factory.ticket(customer, title="Printer", description="Paper jam.")

    for q in ("it's", "don't", "the it is"):
        page = search(as_staff, q)
        if on_sqlite:
            assert (ids_of(page), page["ignored_words"]) == ([sync.id], [])
        else:
            assert (page["items"], page["next_cursor"]) == ([], None)
            assert page["ignored_words"] == [word.lower() for word in search_words(q)]


def test_a_query_of_stop_words_alone_is_said_in_the_sorted_list_too(
    on_sqlite, as_staff, factory, customer
):
    ticket = factory.ticket(customer, title="Not yet", description="Not working.")

    page = as_staff.get("/api/v1/tickets?q=not&sort=-created_at").json

    assert ids_of(page) == ([ticket.id] if on_sqlite else [])
    assert page["ignored_words"] == ([] if on_sqlite else ["not"])


@pytest.mark.parametrize(
    ("q", "sqlite", "postgresql", "ignored"),
    [
        ("vpn", [["vpn"]], [["vpn"]], ()),
        ("the vpn THE", [["vpn"]], [["the"], ["vpn"], ["the"]], ("the",)),
        ('"the printer" is', [["the", "printer"]], [["the", "printer"], ["is"]], ("is",)),
        ("thé vpn", [["vpn"]], [["thé"], ["vpn"]], ("thé",)),
        ("don't", [["don"], ["t"]], [], ("don", "t")),
        ('"to be" not', [["to", "be"], ["not"]], [], ("to", "be", "not")),
    ],
)
def test_each_engine_is_asked_for_the_words_that_are_not_stop_words(q, sqlite, postgresql, ignored):
    phrases = search_phrases(q)

    on_sqlite = searched_phrases(phrases, sqlite=True)
    on_postgresql = searched_phrases(phrases, sqlite=False)

    assert on_sqlite == (sqlite, () if not postgresql else ignored)
    assert on_postgresql == (postgresql, ignored)


def test_a_word_that_only_folds_to_a_stop_word_by_losing_a_letter_is_not_one():
    assert is_stop_word("thé") and is_stop_word("ís")
    assert not is_stop_word("ıs")  # a dotless i is no i with a mark


@pytest.mark.skipif(PG_URL is None, reason="needs TICKETDESK_TEST_DATABASE_URL")
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_the_stop_words_are_those_postgresql_drops(app):
    """The list is PostgreSQL's: each of its words makes no lexeme, and words near them do."""
    near = ["doe", "vpn", "isn", "won", "ha", "wa", "thi", "whi", "done", "nothing"]
    with app.app_context():
        lexemes = dict(
            db.session.execute(
                text(
                    f"SELECT w, to_tsvector('{ENGLISH}', w)::text FROM unnest(:words) AS w"
                ).bindparams(bindparam("words", type_=ARRAY(Text))),
                {"words": sorted(STOP_WORDS) + near},
            ).all()
        )
        db.session.remove()

    assert {word for word, lexeme in lexemes.items() if lexeme == ""} == STOP_WORDS


def ids_of(page):
    return [item["id"] for item in page["items"]]


def search_words(q):
    return [word for phrase in search_phrases(q) for word in phrase]
