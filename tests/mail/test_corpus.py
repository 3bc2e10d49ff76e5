"""The corpus: real-world shapes of mail, each with the ticket or comment it must make."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from tests.mail.conftest import corpus
from ticketdesk.markdown import markdown_as_text
from ticketdesk.models import (
    Comment,
    FailedMail,
    InboundMessage,
    OutboxMessage,
    Role,
    ThreadRule,
    Ticket,
    User,
)

ALICE = "alice@customer.example.com"


@pytest.fixture
def alice_ticket(mail_app, factory):
    """Ticket #n, requested by Alice, that her replies in the corpus refer to."""
    alice = factory.user(Role.CUSTOMER, name="Alice Example", email=ALICE)
    return factory.ticket(alice, title="Printer on fire")


def new_ticket(inspect_db, ticket_id):
    def read(session):
        ticket = session.get(Ticket, ticket_id)
        return {
            "title": ticket.title,
            "description": ticket.description,
            "requester": ticket.requester.email,
            "requester_name": ticket.requester.name,
            "requester_role": ticket.requester.role,
        }

    return inspect_db(read)


NEW_TICKETS = {
    "plain.eml": {
        "title": "Printer on fire",
        "requester": ALICE,
        "requester_name": "Alice Example",
        # A new ticket keeps the whole mail: the signature tells staff who wrote.
        "contains": ["the printer on floor 3 is on fire", "Alice Example | Customer Ltd"],
        "excludes": [],
    },
    "html_only.eml": {
        "title": "Login page broken",
        "requester": "bob@customer.example.com",
        "contains": ["I can't log in & the page says <error 500>.", "1. open the page"],
        "excludes": ["<p>", "<script", "alert", "javascript", "onerror", "color: red", "tracker"],
    },
    "attachment.eml": {
        "title": "Invoice attached",
        "requester": "carol@customer.example.com",
        # The PDF is stored as a file on the ticket (tests/mail/test_mail_files.py).
        "contains": ["The invoice is wrong, see the attached PDF."],
        "excludes": ["JVBERi0", "invoice-2026.pdf"],
    },
    "latin1.eml": {
        "title": "Drucker kaputt",
        "requester": "juergen@kunde.example.de",
        "requester_name": "Jürgen Müller",
        "contains": ["Der Drucker im Büro druckt nur noch ¿Fragezeichen¿.", "Grüße, Jürgen"],
        "excludes": ["\ufffd"],
    },
    "rfc2047_subject.eml": {
        "title": "Problème de facture — été 2026 ✓",
        "requester": "elodie@client.example.fr",
        "requester_name": "Élodie Dupont",
        "contains": ["Bonjour, ma facture est fausse."],
        "excludes": [],
    },
    "unknown_charset.eml": {
        "title": "Strange charset",
        "requester": "dave@customer.example.com",
        "contains": ["Plain words survive."],
        "excludes": [],
    },
    "apple_mail_attachment.eml": {
        "title": "Invoice attached",
        "requester": "anna@example.org",
        "contains": ["Here is the invoice."],
        "excludes": ["<html>", "JVBERi0", "not stored"],
    },
    "ios_inline_image.eml": {
        "title": "Error on the checkout page",
        "requester": "ian@example.org",
        "contains": ["This is what I see after paying:"],
        "excludes": ["cid:", "iVBORw0KGgo", "not stored"],
    },
    "smime_signed.eml": {
        "title": "Contract for review",
        "requester": "sven@corp.example.com",
        "contains": ["Please find the contract attached."],
        "excludes": ["S/MIME", "MIIGUAYJ", "not stored"],
    },
    "pgp_signed.eml": {
        "title": "Server log from last night",
        "requester": "petra@example.net",
        "contains": ["The sync job failed again, the log is attached."],
        "excludes": ["PGP SIGNATURE", "sync started", "not stored"],
    },
    "empty_plain_part.eml": {
        "title": "Contact form",
        "requester": "web@example.com",
        "contains": ["Name: Web User\n\nOrder 12345 arrived damaged."],
        "excludes": ["(no text)", "<p>", "not stored"],
    },
    "utf8_from.eml": {  # raw UTF-8 headers (RFC 6532)
        "title": "Grüße, der Drucker geht nicht",
        "requester": "juergen@kunde.example.de",
        "requester_name": "Jürgen Müller",
        "contains": ["Der Drucker druckt nicht."],
        "excludes": [],
    },
    "utf8_address.eml": {
        "title": "Umlaute in der Adresse",
        "requester": "jürgen@müller.example.de",
        "requester_name": "Jürgen",
        "contains": ["Meine Adresse hat Umlaute."],
        "excludes": [],
    },
    "windows1252_as_latin1.eml": {  # Outlook: labelled ISO-8859-1, written in Windows-1252
        "title": "Rechnung über 100 €",
        "requester": "hans@kunde.example.de",
        "requester_name": "Müller, Hans",
        "contains": ["Rechnung nicht „öffnen“ – sie kostet 100 €. Don’t know why."],
        "excludes": ["\x80", "\x84", "\x92", "\x93", "\x96"],
    },
    "windows1252_as_ascii.eml": {
        "title": "Price list – new",
        "requester": "olaf@kunde.example.de",
        "contains": ["The list doesn’t show the € prices."],
        "excludes": ["\ufffd", "not stored"],
    },
    "html_table.eml": {
        "title": "Wrong items delivered",
        "requester": "tom@customer.example.com",
        "contains": ["Item | Qty | Price\n\nToner XL | 2 | 59.90\n\nPaper A4"],
        "excludes": ["ItemQty", "XL2", "| |"],
    },
    # A new ticket has no mail of ours to trim: what was forwarded is what staff must see.
    "forwarded.eml": {
        "title": "Your account will be suspended",
        "requester": "carol@example.net",
        "contains": [
            "Is this mail genuine?",
            "From: IT Department <it-dept@evil.example>",
            "Click http://evil.example/login to verify",
        ],
        "excludes": [],
    },
    "outlook_forward.eml": {
        "title": "Invoice 4711 overdue",
        "requester": "dan@example.net",
        "contains": ["-----Original Message-----", "to IBAN XX00 1234 today."],
        "excludes": [],
    },
    "no_message_id.eml": {
        "title": "No message id here",
        "requester": "erin@customer.example.com",
        "contains": ["My client sends no Message-ID."],
        "excludes": [],
    },
}


@pytest.mark.parametrize("name", sorted(NEW_TICKETS))
def test_corpus_message_opens_ticket(mail_app, receive, inspect_db, name):
    expected = NEW_TICKETS[name]
    result = receive(corpus(name))
    assert result.outcome == "ticket" and result.rule == ThreadRule.NEW
    ticket = new_ticket(inspect_db, result.ticket_id)
    assert ticket["title"] == expected["title"]
    assert ticket["requester"] == expected["requester"]
    assert ticket["requester_role"] == Role.CUSTOMER
    if "requester_name" in expected:
        assert ticket["requester_name"] == expected["requester_name"]
    description = markdown_as_text(ticket["description"])  # as it reads, not its escapes
    for text in expected["contains"]:
        assert text in description
    for text in expected["excludes"]:
        assert text not in description


@pytest.mark.parametrize(
    "name, body",
    [
        # Mail text is stored as Markdown: a line break inside a paragraph is a hard one.
        ("outlook_reply.eml", "It is still smoking after the restart.\n\nRegards,  \nAlice"),
        ("gmail_reply.eml", "Thanks, the fire is out now."),
        (
            "inline_answers.eml",
            "See my answers inline.\n\n"
            "On Tue, 24 Nov 2026 at 10:00, Sam Support <support@helpdesk.example.com> wrote:  \n"
            "\\> Which operating system do you use?  \nWindows 11 Pro, build 22631  \n"
            "\\> Which version of the app?  \n2.3.1, installed yesterday",
        ),
        (
            "config_between_dashes.eml",
            "Here is my config file:  \n\\--  \n\\[printer]  \nhost = 10.0.0.7  \n\\--  \n"
            "It worked until Monday.\n\nAlice",
        ),
        (
            "underscore_line.eml",
            "Steps: print a test page from the web page.  \n\\______________________________  \n"
            "Expected: one page  \nActual: 400 pages and smoke",
        ),
    ],
)
def test_corpus_reply_becomes_trimmed_comment(
    mail_app, receive, inspect_db, alice_ticket, name, body
):
    result = receive(corpus(name, ticket_id=alice_ticket.id))
    assert (result.outcome, result.ticket_id, result.rule) == (
        "comment",
        alice_ticket.id,
        ThreadRule.SUBJECT,
    )
    comment = inspect_db(lambda s: s.get(Comment, result.comment_id).body)
    assert comment == body


@pytest.mark.parametrize(
    "name", ["auto_reply.eml", "bounce.eml", "bulk.eml", "out_of_office_exchange.eml"]
)
def test_corpus_machine_mail_is_ignored_without_notifications(
    mail_app, receive, inspect_db, alice_ticket, name
):
    before = inspect_db(lambda s: s.scalar(select(func.count(OutboxMessage.id))))
    result = receive(corpus(name, ticket_id=alice_ticket.id))
    assert result.outcome == "ignored" and result.reason
    counts = inspect_db(
        lambda s: (
            s.scalar(select(func.count(Ticket.id))),
            s.scalar(select(func.count(Comment.id))),
            s.scalar(select(func.count(OutboxMessage.id))),
        )
    )
    assert counts == (1, 0, before)


@pytest.mark.parametrize(
    "name, reason",
    [
        ("two_from.eml", "expected one From header, found 2"),
        ("ambiguous_from.eml", "From must hold exactly one well-formed address"),
        ("utf8_two_senders.eml", "From must hold exactly one well-formed address"),
    ],
)
def test_corpus_unclear_sender_is_rejected_with_reason(mail_app, receive, inspect_db, name, reason):
    result = receive(corpus(name))
    assert (result.outcome, result.reason) == ("rejected", reason)
    logged = inspect_db(lambda s: s.scalars(select(InboundMessage)).one())
    assert logged.reason == reason
    assert inspect_db(lambda s: s.scalar(select(func.count(User.id)))) == 0


def test_corpus_malformed_mail_is_kept_with_reason(mail_app, receive, inspect_db):
    raw = corpus("malformed.eml")
    result = receive(raw)
    assert result.outcome == "failed"
    failed = inspect_db(lambda s: [(f.raw, f.reason) for f in s.scalars(select(FailedMail))])
    assert failed == [(raw, "no headers")]
