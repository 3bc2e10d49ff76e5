"""Registration proves the address by mail: one answer for every address, a way in only
for whoever reads that address's mail."""

from __future__ import annotations

from datetime import timedelta
from email.message import EmailMessage

import pytest
from sqlalchemy import select

from tests.factories import PASSWORD, Person
from tests.mailbox import mailed_token, mails_to
from tests.web.conftest import WebUser
from ticketdesk.extensions import db
from ticketdesk.mail.intake import mail_intake
from ticketdesk.models import PasswordReset, SecurityEvent, User
from ticketdesk.services.registration import Registrations

REGISTER = "/api/v1/auth/register"
CONFIRM = "/api/v1/auth/password-reset/confirm"
TOKENS = "/api/v1/auth/tokens"
NEW = "a fresh long password"
ADDRESSES = ["new@example.com", "customer", "deactivated", "by-mail@example.com"]


@pytest.fixture
def address_of(factory, customer, receive_mail):
    """Each kind of address a sign-up may name: unknown, an active account, a deactivated
    one, and a customer that mail intake made (who has no password)."""
    gone = factory.user(name="Gone Away")
    factory.deactivate(gone)
    receive_mail("by-mail@example.com")
    return {"customer": customer.email, "deactivated": gone.email}.get


@pytest.fixture
def receive_mail(app):
    """Mail a ticket in from `sender`, as fetch-mail would."""

    def receive(sender: str, subject: str = "My printer") -> None:
        mail = EmailMessage()
        mail["From"], mail["To"], mail["Subject"] = sender, "support@localhost", subject
        mail["Message-ID"] = f"<{abs(hash((sender, subject)))}@mail.example.com>"
        mail.set_content("It jams.")
        with app.app_context():
            assert mail_intake().receive(bytes(mail)).outcome == "ticket"
            db.session.remove()

    return receive


def register_web(client, email: str, name: str = "Mallory"):
    return WebUser(client).post("/register", {"name": name, "email": email})


def account(app, email: str) -> User:
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == email))
        db.session.expunge_all()
        return user


def person(user: User, password: str = NEW) -> Person:
    return Person(user.id, user.email, user.role, password)


def test_api_answers_every_address_alike(client, address_of):
    answers = [
        client.post(REGISTER, json={"name": "N", "email": address_of(a, a)}) for a in ADDRESSES
    ]
    assert {(r.status_code, r.get_data()) for r in answers} == {(202, answers[0].get_data())}
    assert answers[0].json == {"detail": "Check your inbox: we sent a link to set your password."}


def test_web_answers_every_address_alike(app, address_of):
    answers = [register_web(app.test_client(), address_of(a, a)) for a in ADDRESSES]
    seen = {(r.status_code, r.location, r.get_data()) for r in answers}
    assert seen == {(302, "/register/sent", answers[0].get_data())}


def test_a_new_address_gets_a_passwordless_customer_and_a_welcome_mail(app, client):
    client.post(REGISTER, json={"name": "Nina New", "email": "nina@example.com"})
    user = account(app, "nina@example.com")
    assert (user.name, user.role, user.password_hash) == ("Nina New", "customer", None)
    [mail] = mails_to(app, "nina@example.com")
    assert (mail.kind, mail.subject) == ("welcome", "Choose your Ticketdesk password")
    assert "within 24 hours" in mail.words and "/reset-password/" in mail.text


def test_a_welcome_mail_carries_nothing_the_registrant_typed(app, client):
    client.post(REGISTER, json={"name": "Call +1 555 0100 now", "email": "nina@example.com"})
    [mail] = mails_to(app, "nina@example.com")
    assert mail.to == "nina@example.com"
    assert "555" not in mail.text


def test_a_known_address_is_mailed_a_way_in_and_its_account_is_kept(app, client, customer):
    client.post(REGISTER, json={"name": "Mallory", "email": customer.email})
    [mail] = mails_to(app, customer.email)
    assert (mail.kind, mail.subject) == ("account_exists", "You already have a Ticketdesk account")
    assert mail.to == customer.email and "within 1 hour" in mail.words
    assert account(app, customer.email).name == "Carla Customer"
    assert (
        client.post(TOKENS, json={"email": customer.email, "password": PASSWORD}).status_code == 201
    )


def test_a_customer_made_by_mail_who_signs_up_is_welcomed_not_told_of_an_account(
    app, client, receive_mail
):
    """They never had a password: the welcome, with its day to use it, not a reset's hour."""
    receive_mail("ann@example.com")
    client.post(REGISTER, json={"name": "Ann", "email": "ann@example.com"})
    mail = mails_to(app, "ann@example.com")[-1]
    assert (mail.kind, mail.subject) == ("welcome", "Choose your Ticketdesk password")
    assert "within 24 hours" in mail.words


def test_a_reset_asked_for_an_account_without_a_password_is_titled_choose(
    app, client, receive_mail
):
    receive_mail("ann@example.com")
    client.post("/api/v1/auth/password-reset", json={"email": "ann@example.com"})
    mail = mails_to(app, "ann@example.com")[-1]
    assert (mail.kind, mail.subject) == ("password_reset", "Choose your Ticketdesk password")
    assert "which has no password yet" in mail.words


def test_an_address_taken_while_signing_up_gets_the_account_exists_mail(
    app, client, customer, monkeypatch
):
    """The sign-up looked before another (or mail intake) made the account: it tells the
    account's owner, as if it had found it."""
    lookups = []
    find = Registrations._account_at

    def too_early_once(self, address):
        lookups.append(address)
        return None if len(lookups) == 1 else find(self, address)

    monkeypatch.setattr(Registrations, "_account_at", too_early_once)
    response = client.post(REGISTER, json={"name": "N", "email": customer.email})
    assert response.status_code == 202
    assert [mail.kind for mail in mails_to(app, customer.email)] == ["account_exists"]


def test_a_deactivated_account_is_mailed_nothing(app, client, factory):
    gone = factory.user()
    factory.deactivate(gone)
    client.post(REGISTER, json={"name": "N", "email": gone.email})
    assert mails_to(app, gone.email) == []


def test_registering_someone_elses_address_lets_only_its_owner_in(app, receive_mail):
    attacker = WebUser(app.test_client())
    assert register_web(attacker.client, "victim@example.com").location == "/register/sent"
    assert attacker.get("/tickets").status_code == 302
    receive_mail("victim@example.com", subject="Payroll question")
    for password in ("", PASSWORD, "Mallory"):
        token = app.test_client().post(
            TOKENS, json={"email": "victim@example.com", "password": password}
        )
        assert token.status_code == 401
    victim = WebUser(app.test_client())
    page = f"/reset-password/{mailed_token(app, 'victim@example.com', 'welcome')}"
    victim.post(page, {"name": "Victor", "new_password": NEW, "confirm": NEW})
    assert "Payroll question" in victim.html("/tickets")


def test_a_customer_made_by_mail_gets_in_by_registering(app, client, receive_mail):
    receive_mail("ann@example.com", subject="Broken kettle")
    browser = WebUser(client)
    register_web(client, "ann@example.com", name="Someone Else")
    page = f"/reset-password/{mailed_token(app, 'ann@example.com', 'welcome')}"
    assert "<h1>Choose your password</h1>" in browser.html(page)
    done = browser.post(page, {"name": "ann", "new_password": NEW, "confirm": NEW})
    assert done.location == "/"
    assert "Broken kettle" in browser.html("/tickets")
    assert account(app, "ann@example.com").name == "ann"


SCAM = "URGENT: your account is locked, call +1 555 0100"


@pytest.mark.parametrize("has_password", [False, True], ids=["passwordless", "with password"])
def test_a_name_typed_at_sign_up_never_reaches_the_addresss_owner_in_mail(
    app, client, has_password
):
    """Anyone may sign up with anyone's address, and then have mail sent to it at will."""
    client.post(REGISTER, json={"name": SCAM, "email": "victim@example.com"})
    if has_password:  # its owner chose a password without ever being shown the name
        token = mailed_token(app, "victim@example.com", "welcome")
        client.post(CONFIRM, json={"token": token, "new_password": NEW})
        assert account(app, "victim@example.com").name == SCAM
    client.post(REGISTER, json={"name": SCAM, "email": "victim@example.com"})
    client.post("/api/v1/auth/password-reset", json={"email": "victim@example.com"})
    mails = mails_to(app, "victim@example.com")
    again = "account_exists" if has_password else "welcome"
    assert [mail.kind for mail in mails][-2:] == [again, "password_reset"]
    for mail in mails:
        assert mail.to == "victim@example.com"
        assert "555" not in mail.text and mail.text.startswith("Hello,")


def test_the_first_password_page_has_the_mailboxs_owner_confirm_the_name(app, client):
    client.post(REGISTER, json={"name": SCAM, "email": "nina@example.com"})
    browser = WebUser(client)
    page = f"/reset-password/{mailed_token(app, 'nina@example.com', 'welcome')}"
    html = browser.html(page)
    assert "<h1>Choose your password</h1>" in html
    assert f'name="name" required type="text" value="{SCAM}"' in html
    done = browser.post(page, {"name": "  Nina New ", "new_password": NEW, "confirm": NEW})
    assert done.location == "/"
    assert account(app, "nina@example.com").name == "Nina New"


def test_a_reset_page_asks_for_no_name(app, client, customer):
    client.post("/api/v1/auth/password-reset", json={"email": customer.email})
    html = WebUser(client).html(f"/reset-password/{mailed_token(app, customer.email)}")
    assert "<h1>Choose a new password</h1>" in html and 'name="name"' not in html


@pytest.mark.parametrize("name", ["", "   ", "x" * 121, "Nina\x00", "Nina\nNew"])
def test_a_bad_name_with_a_first_password_is_a_field_error_and_sets_nothing(app, client, name):
    client.post(REGISTER, json={"name": "Nina New", "email": "nina@example.com"})
    token = mailed_token(app, "nina@example.com", "welcome")
    page = f"/reset-password/{token}"
    refused = WebUser(client).post(page, {"name": name, "new_password": NEW, "confirm": NEW})
    assert refused.status_code == 422 and 'id="name-error"' in refused.get_data(as_text=True)
    answer = client.post(CONFIRM, json={"token": token, "new_password": NEW, "name": name})
    assert answer.status_code == 422
    assert [error["field"] for error in answer.json["errors"]] == ["name"]
    assert account(app, "nina@example.com").password_hash is None


def test_the_api_takes_a_name_with_a_first_password_only(app, client, customer):
    client.post(REGISTER, json={"name": SCAM, "email": "nina@example.com"})
    welcome = mailed_token(app, "nina@example.com", "welcome")
    body = {"token": welcome, "new_password": NEW, "name": "Nina New"}
    assert client.post(CONFIRM, json=body).status_code == 204
    assert account(app, "nina@example.com").name == "Nina New"

    client.post("/api/v1/auth/password-reset", json={"email": customer.email})
    reset = mailed_token(app, customer.email)
    body = {"token": reset, "new_password": NEW, "name": "Someone Else"}
    refused = client.post(CONFIRM, json=body)
    assert refused.status_code == 422
    assert [error["field"] for error in refused.json["errors"]] == ["name"]
    assert account(app, customer.email).name == "Carla Customer"
    del body["name"]
    assert client.post(CONFIRM, json=body).status_code == 204, "the link is still unused"


def test_a_welcome_link_sets_the_password_to_sign_in_with(app, client):
    client.post(REGISTER, json={"name": "Nina New", "email": "nina@example.com"})
    token = mailed_token(app, "nina@example.com", "welcome")
    assert client.post(CONFIRM, json={"token": token, "new_password": NEW}).status_code == 204
    assert (
        client.post(TOKENS, json={"email": "nina@example.com", "password": NEW}).status_code == 201
    )
    WebUser(app.test_client()).sign_in(person(account(app, "nina@example.com")))


def test_a_welcome_link_lives_a_day_and_a_reset_link_an_hour(app, client, customer):
    client.post(REGISTER, json={"name": "Nina New", "email": "nina@example.com"})
    client.post(REGISTER, json={"name": "N", "email": customer.email})
    with app.app_context():
        lifetimes = {
            email: expires - created
            for email, created, expires in db.session.execute(
                select(User.email, PasswordReset.created_at, PasswordReset.expires_at).join_from(
                    PasswordReset, User
                )
            )
        }
    assert abs(lifetimes["nina@example.com"] - timedelta(hours=24)) < timedelta(minutes=1)
    assert abs(lifetimes[customer.email] - timedelta(hours=1)) < timedelta(minutes=1)


def test_registration_and_its_link_are_logged(app, client, customer):
    client.post(REGISTER, json={"name": "Nina New", "email": "nina@example.com"})
    client.post(REGISTER, json={"name": "N", "email": customer.email})
    token = mailed_token(app, "nina@example.com", "welcome")
    client.post(CONFIRM, json={"token": token, "new_password": NEW})
    nina = account(app, "nina@example.com")
    with app.app_context():
        logged = db.session.execute(
            select(SecurityEvent.kind, SecurityEvent.subject_id, SecurityEvent.detail).order_by(
                SecurityEvent.id
            )
        ).all()
    assert logged == [
        ("user_created", nina.id, "registration"),
        ("reset_requested", customer.id, "registration"),
        ("password_changed", nina.id, "first password"),
    ]
