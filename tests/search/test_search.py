"""Full-text search through GET /api/v1/tickets?q=, on every backend."""

from __future__ import annotations

import hashlib

import pytest

from tests.attachments.test_attachments import upload
from tests.conftest import PG_URL
from ticketdesk.extensions import db
from ticketdesk.models import Comment
from ticketdesk.services import ticket_manager


@pytest.fixture
def comment(app, factory):
    """Adds a reply (or an internal note) through the real service."""

    def add(author, ticket, body, *, internal=False):
        with app.app_context():
            manager = ticket_manager()
            manager.add_comment(factory.load(author), ticket.id, body=body, internal=internal)
            db.session.remove()

    return add


def close(app, factory, staff, ticket):
    with app.app_context():
        ticket_manager().update_ticket_status(factory.load(staff), ticket.id, "closed")
        db.session.remove()


def every_page(client, **query):
    """The ids of every page of a listing, following its cursors (at most 20 pages)."""
    seen, cursor = [], None
    for _ in range(20):
        page = query | ({"cursor": cursor} if cursor else {})
        response = client.get("/api/v1/tickets", query_string=page)
        seen += ids(response)
        cursor = response.json["next_cursor"]
        if cursor is None:
            return seen
    raise AssertionError("more than 20 pages")


def ids(response):
    assert response.status_code == 200, response.json
    return [item["id"] for item in response.json["items"]]


def test_search_finds_words_in_title_description_and_replies(
    as_staff, factory, customer, staff, comment
):
    by_title = factory.ticket(customer, title="Zeppelin landing gear")
    by_description = factory.ticket(customer, description="The zeppelin is late.")
    by_reply = factory.ticket(customer, title="Other")
    comment(staff, by_reply, "Have you checked the zeppelin?")
    factory.ticket(customer, title="Unrelated", description="Nothing here.")

    found = ids(as_staff.get("/api/v1/tickets?q=zeppelin"))

    assert sorted(found) == sorted([by_title.id, by_description.id, by_reply.id])


def test_search_ranks_title_matches_first(as_staff, factory, customer):
    in_description = factory.ticket(customer, title="Hangar", description="A blimp is parked.")
    in_title = factory.ticket(customer, title="Blimp", description="Parked outside.")

    assert ids(as_staff.get("/api/v1/tickets?q=blimp")) == [in_title.id, in_description.id]


def test_search_stems_words(as_staff, factory, customer):
    ticket = factory.ticket(customer, title="Printers are jammed")

    assert ids(as_staff.get("/api/v1/tickets?q=printer%20jamming")) == [ticket.id]


@pytest.mark.parametrize("q", ["cafe", "CAFÉ", "muller resume", "senor"])
def test_search_folds_accents_on_both_sides(as_staff, factory, customer, q):
    ticket = factory.ticket(
        customer, title="Café machine", description="Señor Müller's résumé is attached."
    )
    factory.ticket(customer, title="Coffee machine", description="Mr Muir's CV.")

    assert ids(as_staff.get("/api/v1/tickets", query_string={"q": q})) == [ticket.id]


def test_a_snippet_marks_the_accented_word_found(as_staff, factory, customer):
    factory.ticket(customer, title="Visit", description="Señor Müller came by.")

    item = as_staff.get("/api/v1/tickets?q=muller").json["items"][0]

    assert "<mark>Müller</mark>" in item["snippet"]


def test_search_needs_every_word(as_staff, factory, customer):
    both = factory.ticket(customer, title="Laptop battery swollen")
    factory.ticket(customer, title="Laptop screen cracked")

    assert ids(as_staff.get("/api/v1/tickets?q=laptop+battery")) == [both.id]


def test_customer_never_matches_internal_note_text(
    as_customer, as_staff, factory, customer, staff, comment
):
    ticket = factory.ticket(customer, title="Refund please")
    comment(staff, ticket, "Customer flagged as fraudster", internal=True)

    assert ids(as_customer.get("/api/v1/tickets?q=fraudster")) == []
    assert ids(as_staff.get("/api/v1/tickets?q=fraudster")) == [ticket.id]


def test_customer_snippet_never_shows_internal_note(as_customer, factory, customer, staff, comment):
    ticket = factory.ticket(customer, title="Refund", description="Refund for order 12.")
    comment(staff, ticket, "Refund refund refund: suspected fraudster", internal=True)

    response = as_customer.get("/api/v1/tickets?q=refund")

    assert ids(response) == [ticket.id]
    assert "fraudster" not in response.json["items"][0]["snippet"]


def test_customer_searches_only_own_tickets(as_customer, factory, customer, other_customer):
    own = factory.ticket(customer, title="Keyboard missing keys")
    factory.ticket(other_customer, title="Keyboard sticky")

    assert ids(as_customer.get("/api/v1/tickets?q=keyboard")) == [own.id]


def test_staff_search_of_one_requester_keeps_notes_and_only_their_tickets(
    as_staff, factory, customer, other_customer, staff, comment
):
    theirs = factory.ticket(customer, title="Keyboard missing keys")
    noted = factory.ticket(customer, title="Mouse")
    comment(staff, noted, "the keyboard was swapped too", internal=True)
    factory.ticket(other_customer, title="Keyboard sticky")

    found = as_staff.get(f"/api/v1/tickets?q=keyboard&requester_id={customer.id}")

    assert sorted(ids(found)) == sorted([theirs.id, noted.id])
    snippets = {item["id"]: item["snippet"] for item in found.json["items"]}
    assert "swapped" in snippets[noted.id] and "\ue002" not in "".join(snippets.values())


def test_search_result_has_highlighted_escaped_snippet(as_staff, factory, customer):
    factory.ticket(
        customer, title="Form", description='<script>alert("x")</script> the widget broke'
    )

    item = as_staff.get("/api/v1/tickets?q=widget").json["items"][0]

    assert "<mark>widget</mark>" in item["snippet"]
    # Everything but the marks is escaped (PostgreSQL's headline drops the tags altogether).
    rest = item["snippet"].replace("<mark>", "").replace("</mark>", "")
    assert "<" not in rest and '"' not in rest


def test_a_snippet_shows_the_words_not_their_markdown(as_staff, factory, customer):
    factory.ticket(
        customer,
        title="Printer",
        description="## Status\n\n> The tray is **jammed** again, see [the manual](https://acme.example/m)",
    )

    snippet = as_staff.get("/api/v1/tickets?q=jammed").json["items"][0]["snippet"]

    assert "is <mark>jammed</mark> again, see the manual" in snippet
    assert not [mark for mark in ("*", "#", "&gt;", "[", "acme.example") if mark in snippet]


@pytest.mark.parametrize("run", ["[](", ".-", "<http:"])
def test_a_snippet_is_short_whatever_runs_between_the_words_found(
    as_customer, factory, customer, run
):
    """An engine counts words, not the marks between them: such a run came back whole,
    and reading the marks out of 50,000 of them took a worker 25 s."""
    filler = run * (49_000 // len(run))
    factory.ticket(customer, title="Stuck", description=f"zqxjk {filler} zqxjk")

    [item] = as_customer.get("/api/v1/tickets?q=zqxjk").json["items"]

    assert "<mark>zqxjk</mark>" in item["snippet"] and len(item["snippet"]) < 1000


def test_list_without_search_has_no_snippet(as_staff, factory, customer):
    factory.ticket(customer, title="Plain")

    assert as_staff.get("/api/v1/tickets").json["items"][0]["snippet"] is None


@pytest.mark.parametrize(
    "q",
    [
        '"',
        "'",
        "*",
        "printer*",
        "NEAR(a b)",
        "title:printer",
        "{title}: x",
        "-printer",
        "printer AND NOT",
        "OR",
        "(((",
        "a & b | !c",
        "%_\\",
        "x:AB",
        "日本語",
        "ß" * 300,
    ],
)
def test_special_characters_are_plain_text(as_staff, factory, customer, q):
    factory.ticket(customer, title="Printer on fire")

    response = as_staff.get("/api/v1/tickets", query_string={"q": q})

    assert response.status_code == 200


def test_quoted_operator_words_are_searched_as_words(as_staff, factory, customer):
    ticket = factory.ticket(customer, title="Near the printer", description="or not")

    assert ids(as_staff.get('/api/v1/tickets?q="NEAR"+printer+OR+NOT')) == [ticket.id]


def test_search_combines_with_filters(app, as_staff, factory, customer, staff):
    open_one = factory.ticket(customer, title="Scanner offline")
    closed_one = factory.ticket(customer, title="Scanner offline again")
    close(app, factory, staff, closed_one)

    assert ids(as_staff.get("/api/v1/tickets?q=scanner&status=open")) == [open_one.id]
    assert ids(as_staff.get("/api/v1/tickets?q=scanner&status=closed")) == [closed_one.id]


def test_search_pages_cover_every_match_once(as_staff, factory, customer):
    expected = {factory.ticket(customer, title=f"Monitor flicker {n}").id for n in range(7)}
    factory.ticket(customer, title="Other")
    seen = every_page(as_staff, q="monitor", limit=3)

    assert sorted(seen) == sorted(expected)


def test_search_with_sort_orders_matches_by_it(as_staff, factory, customer):
    first = factory.ticket(customer, title="Mouse broken")
    second = factory.ticket(customer, title="Mouse mouse mouse broken")

    response = as_staff.get("/api/v1/tickets?q=mouse&sort=-created_at&limit=1")
    assert ids(response) == [second.id]
    following = as_staff.get(
        "/api/v1/tickets",
        query_string={"q": "mouse", "sort": "-created_at", "cursor": response.json["next_cursor"]},
    )
    assert ids(following) == [first.id]


def test_bad_search_cursor_is_a_field_error(as_staff, factory, customer):
    factory.ticket(customer, title="Mouse")

    response = as_staff.get("/api/v1/tickets?q=mouse&cursor=garbage")

    assert response.status_code == 422


def test_edited_title_is_searchable_at_once(as_staff, factory, customer):
    ticket = factory.ticket(customer, title="Teapot leaking")

    patched = as_staff.patch(f"/api/v1/tickets/{ticket.id}", json={"title": "Kettle leaking"})

    assert patched.status_code == 200
    assert ids(as_staff.get("/api/v1/tickets?q=kettle")) == [ticket.id]
    assert ids(as_staff.get("/api/v1/tickets?q=teapot")) == []


def test_failed_write_leaves_index_unchanged(app, as_customer, factory, customer, staff):
    ticket = factory.ticket(customer, title="Teapot")
    close(app, factory, staff, ticket)

    # Customers may not retitle a closed ticket: the whole change, index included, is refused.
    refused = as_customer.patch(f"/api/v1/tickets/{ticket.id}", json={"title": "Kettle"})

    assert refused.status_code == 403
    assert ids(as_customer.get("/api/v1/tickets?q=kettle")) == []
    assert ids(as_customer.get("/api/v1/tickets?q=teapot")) == [ticket.id]


def test_ranking_cap_applies_after_filters(
    monkeypatch, as_customer, factory, customer, other_customer
):
    monkeypatch.setattr("ticketdesk.services.search_sql.MAX_RANKED", 2)
    own = factory.ticket(customer, title="Router resets")
    for _ in range(3):
        factory.ticket(other_customer, title="Router resets too")

    assert ids(as_customer.get("/api/v1/tickets?q=router")) == [own.id]


def test_only_the_newest_matches_are_ranked_past_the_cap(monkeypatch, as_staff, factory, customer):
    monkeypatch.setattr("ticketdesk.services.search_sql.MAX_RANKED", 2)
    factory.ticket(customer, title="Router", description="router router")
    newer = [factory.ticket(customer, title="Other", description="a router").id for _ in range(2)]

    assert sorted(ids(as_staff.get("/api/v1/tickets?q=router"))) == sorted(newer)


def test_staff_filters_apply_before_the_cap(monkeypatch, app, as_staff, factory, customer, staff):
    monkeypatch.setattr("ticketdesk.services.search_sql.MAX_RANKED", 2)
    still_open = factory.ticket(customer, title="Router resets")
    for _ in range(3):
        close(app, factory, staff, factory.ticket(customer, title="Router resets too"))

    assert ids(as_staff.get("/api/v1/tickets?q=router&status=open")) == [still_open.id]


def test_search_pages_cover_the_ranked_window_once(monkeypatch, as_staff, factory, customer):
    monkeypatch.setattr("ticketdesk.services.search_sql.MAX_RANKED", 3)
    for n in range(2):
        factory.ticket(customer, title=f"Printer smudges {n}")
    newest = {factory.ticket(customer, title=f"Printer smudges {n}").id for n in range(3)}
    seen = every_page(as_staff, q="printer", limit=2)

    assert sorted(seen) == sorted(newest)


@pytest.mark.parametrize(
    ("words", "q", "marked", "before"),
    [
        ("the gearbox rattles", "rattling", "rattles", "gearbox"),
        ("Señor Müller called", "muller", "Müller", "Señor"),
    ],
)
def test_a_word_deep_in_a_long_ticket_is_highlighted_in_any_form(
    as_staff, factory, customer, words, q, marked, before
):
    filler = " ".join(f"line{n}" for n in range(2500))  # about 20,000 characters
    factory.ticket(customer, title="Logs", description=f"{filler} {words} {filler}")

    [item] = as_staff.get("/api/v1/tickets", query_string={"q": q}).json["items"]

    assert f"<mark>{marked}</mark>" in item["snippet"]
    assert before in item["snippet"]


def test_a_long_ticket_snippet_marks_the_words_found_though_others_lie_further_on(
    as_staff, factory, customer
):
    filler = " ".join(f"line{n}" for n in range(500))  # about 4,000 characters
    description = f"{filler[:800]} the gearbox {filler} rattles"
    factory.ticket(customer, title="Logs", description=description)

    [item] = as_staff.get("/api/v1/tickets?q=gearbox+rattles").json["items"]

    assert "<mark>" in item["snippet"]


def test_every_result_on_a_page_has_its_snippet(as_staff, factory, customer):
    matches = [
        factory.ticket(customer, title="Plain", description="a lamp is out") for _ in range(2)
    ]
    factory.ticket(customer, title="Between", description="nothing")
    matches.append(factory.ticket(customer, title="Flicker", description="the lamp flickers"))

    items = as_staff.get("/api/v1/tickets?q=lamp").json["items"]

    assert sorted(item["id"] for item in items) == sorted(ticket.id for ticket in matches)
    assert all("<mark>" in item["snippet"] for item in items)


def test_snippets_show_the_conversation_not_the_title_again(
    as_staff, factory, customer, comment, staff
):
    both = factory.ticket(
        customer, title="Printer jams", description="Since Monday the printer jams"
    )
    titled = factory.ticket(customer, title="Printer", description="Tray two is empty again")
    noted = factory.ticket(customer, title="Mouse", description="The mouse is slow")
    comment(staff, noted, "Also swapped the printer cable", internal=True)

    found = as_staff.get("/api/v1/tickets?q=printer").json["items"]

    snippets = {item["id"]: item["snippet"] for item in found}
    assert "Since Monday the <mark>printer</mark> jams" in snippets[both.id]
    assert snippets[titled.id] == "Tray two is empty again"
    assert "swapped the <mark>printer</mark> cable" in snippets[noted.id]


@pytest.fixture
def small_id_blocks(monkeypatch):
    """Id blocks of 2 tickets and a window of 3 matches, so a few tickets span many blocks."""
    monkeypatch.setattr("ticketdesk.services.search_index.ID_BLOCK", 2)
    monkeypatch.setattr("ticketdesk.services.search_sql.MAX_RANKED", 3)


def test_newest_matches_are_gathered_across_id_blocks(small_id_blocks, as_staff, factory, customer):
    matching = []
    for n in range(12):
        if n % 3 == 0:
            matching.append(factory.ticket(customer, title=f"Kettle {n}", description="kettle").id)
        else:
            factory.ticket(customer, title=f"Other {n}", description="nothing")

    assert sorted(ids(as_staff.get("/api/v1/tickets?q=kettle"))) == sorted(matching[-3:])


def test_a_word_rarer_than_the_window_is_found_in_every_block(
    small_id_blocks, as_staff, factory, customer
):
    first = factory.ticket(customer, title="Toaster", description="toaster").id
    for n in range(9):
        factory.ticket(customer, title=f"Other {n}", description="nothing")
    last = factory.ticket(customer, title="Toaster again", description="toaster").id

    assert sorted(ids(as_staff.get("/api/v1/tickets?q=toaster"))) == [first, last]


def test_ranked_pages_across_id_blocks_hold_each_match_once_best_first(
    small_id_blocks, as_staff, factory, customer
):
    # Six matches over three blocks, the window and beyond; one says it in its title too.
    titles = ["Heating", "Heating", "Heating", "Heating", "Boiler noise", "Heating"]
    made = [factory.ticket(customer, title=title, description="the boiler").id for title in titles]
    seen = every_page(as_staff, q="boiler", limit=1)
    first_page = ids(as_staff.get("/api/v1/tickets?q=boiler&limit=3"))

    assert sorted(seen) == sorted(made[-3:])
    assert seen == first_page
    assert seen[0] == made[4]  # the title match ranks first, newer matches or not


def test_filters_apply_before_gathering_id_blocks(
    small_id_blocks, app, as_staff, factory, customer, staff
):
    still_open = [factory.ticket(customer, title=f"Fan {n}").id for n in range(3)]
    for n in range(6):
        close(app, factory, staff, factory.ticket(customer, title=f"Fan closed {n}"))

    found = ids(as_staff.get("/api/v1/tickets?q=fan&status=open"))

    assert sorted(found) == sorted(still_open)


def test_a_filtered_search_lists_each_match_once_however_many_windows(
    small_id_blocks, as_staff, factory, customer
):
    # Two urgent matches among twelve, in blocks far apart: fewer than a window holds,
    # so the search widens. Windows that looked for the word alone, not their own
    # blocks, read the older urgent ticket twice and listed it twice.
    urgent = []
    for n in range(12):
        priority = "urgent" if n in (1, 9) else "normal"
        ticket = factory.ticket(
            customer, title=f"Kettle {n}", description="kettle", priority=priority
        )
        urgent += [ticket.id] if priority == "urgent" else []

    found = ids(as_staff.get("/api/v1/tickets?q=kettle&priority=urgent&limit=5"))

    assert sorted(found) == sorted(urgent)


def test_customer_gathers_only_own_matches_across_id_blocks(
    small_id_blocks, as_customer, factory, customer, other_customer
):
    own = [factory.ticket(customer, title=f"Heater {n}").id for n in range(4)]
    for n in range(6):
        factory.ticket(other_customer, title=f"Heater {n}")

    assert sorted(ids(as_customer.get("/api/v1/tickets?q=heater"))) == sorted(own[-3:])


def test_notes_are_found_across_id_blocks_by_staff_alone(
    small_id_blocks, as_staff, as_customer, factory, customer, staff, comment
):
    # PostgreSQL indexes notes' words with their id blocks too: a customer's windows
    # find those tickets, and must then drop them.
    noted = []
    for n in range(8):
        ticket = factory.ticket(customer, title=f"Radiator {n}")
        if n % 2:
            comment(staff, ticket, "Valve replaced", internal=True)
            noted.append(ticket.id)

    assert sorted(ids(as_staff.get("/api/v1/tickets?q=valve"))) == sorted(noted[-3:])
    assert ids(as_customer.get("/api/v1/tickets?q=valve")) == []
    assert ids(as_customer.get("/api/v1/tickets?q=radiator+valve")) == []


def test_every_word_is_asked_of_each_ticket_across_id_blocks(
    small_id_blocks, as_staff, factory, customer
):
    both = []
    for n in range(12):
        words = ("kettle descale", "kettle", "descale")[n % 3]
        ticket = factory.ticket(customer, title=f"Kitchen {n}", description=words)
        both += [ticket.id] if n % 3 == 0 else []

    assert sorted(ids(as_staff.get("/api/v1/tickets?q=kettle+descale"))) == sorted(both[-3:])


@pytest.mark.skipif(PG_URL is None, reason="needs TICKETDESK_TEST_DATABASE_URL")
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_a_query_of_stop_words_alone_finds_nothing(small_id_blocks, as_staff, factory, customer):
    # PostgreSQL's english configuration drops them (FTS5's porter tokenizer keeps them).
    for n in range(4):
        factory.ticket(customer, title=f"The {n}", description="it is what it is")

    assert ids(as_staff.get("/api/v1/tickets?q=the+it+is")) == []


def test_a_word_as_long_as_an_index_takes_is_indexed(as_staff, as_customer):
    # PostgreSQL keeps words of up to 2,047 bytes; with its id block (`#0`) this one
    # would be longer, so it is indexed without one, and the ticket is still opened.
    blob = "q" * 2046
    created = as_customer.post(
        "/api/v1/tickets", json={"title": "Pasted key", "description": f"kettle {blob}"}
    )

    assert created.status_code == 201, created.json
    assert ids(as_staff.get("/api/v1/tickets?q=kettle")) == [created.json["id"]]


def test_a_conversation_too_long_to_index_whole_still_takes_replies(
    app, as_staff, factory, customer, staff, comment
):
    ticket = factory.ticket(customer, title="Sync fails", description="The quokka sync fails.")
    # Pasted logs: 1.5 MB of words that never repeat, more than a PostgreSQL tsvector
    # can hold (1 MB). Stored as rows: the next reply rebuilds the index entry from them.
    logs = [
        " ".join(hashlib.md5(f"{n}.{i}".encode()).hexdigest() for i in range(1500))
        for n in range(30)
    ]
    with app.app_context():
        author_id = factory.load(staff).id
        db.session.add_all(
            Comment(ticket_id=ticket.id, author_id=author_id, body=log) for log in logs
        )
        db.session.commit()
        db.session.remove()

    comment(staff, ticket, "Found it: the sync cache was full.")

    assert ids(as_staff.get("/api/v1/tickets?q=quokka")) == [ticket.id]
    assert ids(as_staff.get(f"/api/v1/tickets?q={logs[0][:32]}")) == [ticket.id]


def test_addresses_hosts_and_file_names_are_found_whole(as_staff, factory, customer):
    bounced = factory.ticket(
        customer, title="Bounce", description="Mail to ann@example.com bounced"
    )
    hosted = factory.ticket(customer, title="Down", description="files.example.org is down again")
    attached = factory.ticket(customer, title="Blank", description="report-2024.pdf prints blank")

    for query, ticket in (
        ("ann@example.com", bounced),
        ("FILES.example.org", hosted),
        ("report-2024.pdf blank", attached),
    ):
        assert ids(as_staff.get("/api/v1/tickets", query_string={"q": query})) == [ticket.id]


def test_parts_of_addresses_hosts_file_names_and_numbers_are_words(as_staff, factory, customer):
    """Both engines cut `ann@example.com` into `ann`, `example`, `com` for search."""
    bounced = factory.ticket(customer, title="Bounce", description="Mail to ann@acme.com bounced")
    hosted = factory.ticket(customer, title="Down", description="files.example.org is down")
    coded = factory.ticket(customer, title="Fault", description="Panel shows abc-123, v2.4.1")

    for query, found in (
        ("acme", [bounced]),
        ("acme.com", [bounced]),
        ("ANN", [bounced]),
        ("example", [hosted]),
        ("files", [hosted]),
        ("123", [coded]),
        ("v2 4", [coded]),
    ):
        answer = as_staff.get("/api/v1/tickets", query_string={"q": query})
        assert ids(answer) == [ticket.id for ticket in found], query


def test_words_in_quotes_are_found_only_as_that_phrase(as_staff, factory, customer):
    jammed = factory.ticket(customer, title="Tray", description="The printer jam is back")
    reversed_ = factory.ticket(customer, title="Tray", description="A jam in the printer again")
    roomed = factory.ticket(customer, title="Where", description="Printer in room 4 is off")

    def found(query):
        return sorted(ids(as_staff.get("/api/v1/tickets", query_string={"q": query})))

    assert found("printer jam") == sorted([jammed.id, reversed_.id])
    assert found('"printer jam"') == [jammed.id]
    assert found('"jam printer"') == []
    assert found('tray "printer jam"') == [jammed.id]
    assert found('"printer in room"') == [roomed.id]
    assert found('back "printer jam') == [jammed.id]  # an unclosed quote runs to the end


def test_a_customers_phrase_never_matches_internal_notes(
    as_customer, factory, customer, staff, comment
):
    ticket = factory.ticket(customer, title="Refund", description="Please refund me")
    comment(staff, ticket, "Refund approved by finance", internal=True)

    assert ids(as_customer.get('/api/v1/tickets?q="approved by finance"')) == []
    assert ids(as_customer.get('/api/v1/tickets?q="refund me"')) == [ticket.id]


def test_an_address_asked_for_is_marked_in_the_snippet(as_staff, factory, customer):
    factory.ticket(customer, title="Bounce", description="Mail to ann@acme.com bounced")

    [item] = as_staff.get("/api/v1/tickets?q=ann@acme.com").json["items"]

    assert "<mark>" in item["snippet"] and "bounced" in item["snippet"]
    marked = item["snippet"].replace("<mark>", "").replace("</mark>", "")
    assert "ann@acme.com" in marked


@pytest.mark.parametrize(
    ("q", "marked"),
    [("acme", "ann@<mark>acme</mark>.com"), ("4711", "invoice-<mark>4711</mark>.pdf")],
)
def test_a_part_of_an_address_or_file_name_is_marked_in_the_snippet(
    as_staff, factory, customer, q, marked
):
    factory.ticket(customer, title="Bounce", description="ann@acme.com sent invoice-4711.pdf")

    [item] = as_staff.get("/api/v1/tickets", query_string={"q": q}).json["items"]

    assert marked in item["snippet"]


def test_file_names_are_found_as_the_text_they_came_with(
    app, as_customer, as_staff, factory, customer, staff, comment
):
    ticket = factory.ticket(customer, title="Billing", description="See attached")
    upload(as_customer, ticket.id, ("invoice-4711.pdf", b"%PDF", "application/pdf"))
    comment(staff, ticket, "Vendor case opened", internal=True)
    [note] = as_staff.get(f"/api/v1/tickets/{ticket.id}/comments").json["items"]
    noted = upload(
        as_staff, ticket.id, ("vendor-8812.txt", b"x", "text/plain"), comment_id=note["id"]
    )

    assert ids(as_customer.get("/api/v1/tickets?q=4711")) == [ticket.id]
    assert ids(as_staff.get("/api/v1/tickets?q=invoice 4711")) == [ticket.id]
    assert ids(as_staff.get("/api/v1/tickets?q=8812")) == [ticket.id]
    assert ids(as_customer.get("/api/v1/tickets?q=8812")) == []

    assert as_staff.delete(f"/api/v1/attachments/{noted.json[0]['id']}").status_code == 204
    assert ids(as_staff.get("/api/v1/tickets?q=8812")) == []
