"""Every page type, as each role sees it, passes axe-core's WCAG 2.1 A and AA rules.

Issue 3's promise: usable on a phone-width screen and with the keyboard alone, every
input labelled, colour never the only sign of status. One seeded app and one signed-in
browser context per role serve every audit, so the whole module takes seconds.
"""

from __future__ import annotations

import io
import re

import pytest
from PIL import Image
from playwright.sync_api import expect
from sqlalchemy import select, update

from tests.browser.accessibility import axe_violations, border_contrast, describe, ring_contrast
from tests.browser.conftest import STAFF_PASSWORD, Problems
from tests.mailbox import mailed_token
from ticketdesk.extensions import db
from ticketdesk.models import OutboxMessage, OutboxStatus, Queue, User
from ticketdesk.services import queue_manager, registrations, ticket_manager
from ticketdesk.services.attachments import Upload, attachment_manager

PEOPLE = {"customer": "dev@example.com", "staff": "sam@example.com", "admin": "ada@example.com"}
KEYBOARD_TICKET = "Docking station hums"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 860}


def _picture() -> io.BytesIO:
    """A small PNG, shown in place on the ticket page."""
    out = io.BytesIO()
    Image.new("RGB", (40, 30), "teal").save(out, "PNG")
    out.seek(0)
    return out


def _seed_audited_things(app) -> dict[str, object]:
    """A ticket with the lot (replies, an internal note, a picture), a queue that can go,
    a welcome link not yet used, and a mail that could not be delivered."""
    with app.app_context():
        users = {
            role: db.session.scalar(select(User).where(User.email == email))
            for role, email in PEOPLE.items()
        }
        customer, staff = users["customer"], users["staff"]
        tickets = ticket_manager()
        ticket = tickets.create_ticket(
            customer,
            title="Monitor flickers after lunch",
            description="It flickers **twice** a minute.\n\n- cable swapped\n- still flickers",
        )
        ticket_id = ticket.id
        (picture,) = attachment_manager().add_attachments(
            customer, ticket_id, [Upload("flicker.png", _picture())]
        )
        tickets.add_comment(staff, ticket_id, body="Which port is it plugged into?")
        tickets.add_comment(customer, ticket_id, body="The `HDMI 2` port, at the back.")
        tickets.add_comment(staff, ticket_id, body="Known cable batch: swap it.", internal=True)
        tickets.update_ticket(staff, ticket_id, {"assignee_id": staff.id})
        tickets.create_ticket(customer, title=KEYBOARD_TICKET, description="A low hum.")
        spare = queue_manager().create_queue(users["admin"], name="Spare parts")
        default = db.session.scalar(select(Queue).where(Queue.id != spare.id))
        registrations().register(name="Nell Newcomer", email="nell@example.com")
        db.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.recipient == "nell@example.com")
            .values(status=OutboxStatus.DEAD, attempts=5, last_error="550 mailbox unavailable")
        )
        db.session.commit()
        places = {
            "ticket": ticket_id,
            "picture": picture.id,
            "spare_queue": spare.id,
            "default_queue": default.id,
            "customer_id": customer.id,
        }
        db.session.remove()
    places["welcome"] = mailed_token(app, "nell@example.com", "welcome")
    return places


@pytest.fixture(scope="module")
def places(live_app) -> dict[str, object]:
    return _seed_audited_things(live_app)


@pytest.fixture(scope="module")
def console() -> Problems:
    return Problems()


@pytest.fixture(autouse=True)
def no_console_problems(console):
    """Each test starts with a quiet console and ends with one (error pages aside)."""
    console.messages.clear()
    yield
    assert console.messages == []


@pytest.fixture(scope="module")
def page_of(browser, base_url, console):
    """One page per role (signed in once), or for nobody: page_of("staff")."""
    pages, contexts = {}, []

    def open_page(who: str | None):
        if who not in pages:
            context = browser.new_context(base_url=base_url, viewport=DESKTOP)
            context.set_default_timeout(10_000)
            contexts.append(context)
            page = context.new_page()
            console.watch(page)
            if who is not None:
                _sign_in(page, PEOPLE[who])
            pages[who] = page
        return pages[who]

    yield open_page
    for context in contexts:
        context.close()


def _sign_in(page, email: str) -> None:
    page.goto("/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(STAFF_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator(".flash-success")).to_contain_text("Welcome back")


# (who, page name, path): every page type, as each role that reaches it sees it.
PAGES = [
    (None, "sign-in", "/login"),
    (None, "register", "/register"),
    (None, "register-sent", "/register/sent"),
    (None, "forgot-password", "/forgot-password"),
    (None, "reset-live-link", "/reset-password/{welcome}"),
    (None, "reset-dead-link", "/reset-password/no-such-link"),
    (None, "not-found", "/no-such-page"),
    ("customer", "my-tickets", "/tickets"),
    ("customer", "my-tickets-searched", "/tickets?q=flickers"),
    ("customer", "new-ticket", "/tickets/new"),
    ("customer", "ticket", "/tickets/{ticket}"),
    ("customer", "account", "/account"),
    ("customer", "change-password", "/account/password"),
    ("customer", "forbidden", "/admin/users"),
    ("staff", "ticket-list", "/tickets"),
    ("staff", "ticket-list-searched", "/tickets?q=dev+cust&status=any"),
    ("staff", "ticket-list-of-requester", "/tickets?status=any&requester={customer_id}"),
    ("staff", "ticket", "/tickets/{ticket}"),
    ("staff", "new-ticket", "/tickets/new"),
    ("staff", "remove-file", "/attachments/{picture}/remove"),
    ("staff", "not-found", "/tickets/999999"),
    ("admin", "people", "/admin/users"),
    ("admin", "person-edit", "/admin/users/{customer_id}"),
    ("admin", "queues", "/admin/queues"),
    ("admin", "queue-edit", "/admin/queues/{spare_queue}"),
    ("admin", "queue-delete", "/admin/queues/{spare_queue}/delete"),
    ("admin", "queue-delete-refused", "/admin/queues/{default_queue}/delete"),
    ("admin", "outbox-dead", "/admin/outbox"),
    ("admin", "outbox-pending", "/admin/outbox?status=pending"),
]
# The pages people use most, again at a phone's width.
ON_PHONES = {
    "sign-in",
    "register",
    "my-tickets",
    "new-ticket",
    "ticket",
    "ticket-list",
    "people",
    "queues",
    "outbox-dead",
}


def _audited(page, console: Problems, *, status: int = 200) -> None:
    """Fail with each broken rule, its impact and the elements that break it."""
    expect(page.get_by_role("heading", level=1)).to_have_count(1)
    violations = axe_violations(page)
    if violations:
        pytest.fail(f"{page.url} breaks WCAG 2.1 AA:\n{describe(violations)}", pytrace=False)
    # An error page's own status is the one thing the console may report about it.
    expected = f"Failed to load resource: the server responded with a status of {status} "
    console.messages[:] = [text for text in console.messages if expected not in text]


@pytest.mark.parametrize(("who", "name", "path"), PAGES, ids=[f"{w}-{n}" for w, n, _ in PAGES])
def test_page_passes_wcag_21_aa(page_of, places, console, who, name, path):
    page = page_of(who)
    page.set_viewport_size(DESKTOP)
    response = page.goto(path.format(**places))
    _audited(page, console, status=response.status)


PHONE_PAGES = [entry for entry in PAGES if entry[1] in ON_PHONES]


@pytest.mark.parametrize(
    ("who", "name", "path"), PHONE_PAGES, ids=[f"{w}-{n}" for w, n, _ in PHONE_PAGES]
)
def test_page_passes_wcag_21_aa_on_a_phone(page_of, places, console, who, name, path):
    page = page_of(who)
    page.set_viewport_size(PHONE)
    response = page.goto(path.format(**places))
    _audited(page, console, status=response.status)


def test_pages_in_the_states_people_leave_them_pass_wcag_21_aa(page_of, places, console):
    page = page_of("staff")
    page.set_viewport_size(DESKTOP)
    page.goto("/tickets?q=flickers")
    page.wait_for_load_state("load")  # app.js (deferred) handles the ticks and the marks
    page.get_by_label(re.compile(r"Select ticket #")).first.check()
    expect(page.locator("#bulk-count")).to_have_text("1 ticket selected")
    _audited(page, console)  # a row ticked, the bulk bar counting

    page.get_by_role("link", name=re.compile("Monitor flickers")).click()
    expect(page.locator(".search-marks")).to_contain_text("marked in")
    _audited(page, console)  # opened from a search: the words marked

    page.get_by_label("Message").fill("Checking the cable batch now.")
    page.get_by_role("button", name="Add internal note").click()
    expect(page.locator(".flash-success")).to_have_text("Done: Internal note added.")
    _audited(page, console)  # a flash after a change


def test_forms_showing_errors_pass_wcag_21_aa(page_of, console):
    page = page_of(None)
    page.set_viewport_size(DESKTOP)
    page.goto("/login")
    page.get_by_label("Email").fill("nobody@example.com")
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator(".form-error, .has-error").first).to_be_visible()
    _audited(page, console, status=422)

    page = page_of("staff")
    page.goto("/tickets/new")
    page.get_by_role("button", name="Open ticket").click()
    expect(page.locator(".has-error").first).to_be_visible()
    _audited(page, console, status=422)


def test_the_audit_names_each_broken_rule_and_where(page_of, console):
    page = page_of(None)
    page.goto("/login")
    page.evaluate(
        "document.querySelector('main').insertAdjacentHTML('beforeend', "
        '\'<input id="unnamed"><a href="/" id="empty"></a>\')'
    )
    with pytest.raises(pytest.fail.Exception) as failure:
        _audited(page, console)
    report = str(failure.value)
    assert "label (critical)" in report and "#unnamed" in report
    assert "link-name (serious)" in report and "#empty" in report


# Fields on every kind of form: text, email, password, select, textarea, file.
FORMS = [
    (None, "/register"),
    ("customer", "/account/password"),
    ("customer", "/account"),
    ("staff", "/tickets/new"),
    ("staff", "/tickets/{ticket}"),
    ("staff", "/tickets"),
    ("admin", "/admin/users"),
]


@pytest.mark.parametrize(("who", "path"), FORMS)
def test_form_fields_stand_out_from_the_page(page_of, places, artifacts, who, path):
    """WCAG 1.4.11: a field is found by its border, so the border has 3:1 contrast."""
    page = page_of(who)
    page.set_viewport_size(DESKTOP)
    page.goto(path.format(**places))
    shot = re.sub(r"\W+", "-", f"fields-{who}{path}").strip("-")
    page.screenshot(path=str(artifacts / f"{shot}.png"), full_page=True)
    fields = page.locator("main .input:visible")
    assert fields.count() > 0
    ratios = {
        fields.nth(i).evaluate("el => el.name"): round(border_contrast(fields.nth(i)), 2)
        for i in range(fields.count())
    }
    assert {name: ratio for name, ratio in ratios.items() if ratio < 3} == {}, "under 3:1"


def _tab_to(page, target, *, most: int = 60) -> None:
    """Press Tab until `target` has the focus, as a keyboard user would, checking on
    the way that each element focused shows a ring with 3:1 contrast (WCAG 2.4.7, 1.4.11)."""
    for _ in range(most):
        page.keyboard.press("Tab")
        _assert_focus_shown(page)
        if target.evaluate("element => element === document.activeElement"):
            return
    pytest.fail(f"{most} presses of Tab never reached {target}")


def _assert_focus_shown(page) -> None:
    ring, ratio = ring_contrast(page)
    focused = page.evaluate("document.activeElement.outerHTML.slice(0, 100)")
    assert ratio >= 3, f"focus ring {ring} has contrast {ratio:.2f} on {focused}"


def test_staff_take_and_answer_a_ticket_with_the_keyboard_alone(page_of, artifacts):
    page = page_of("staff")
    page.set_viewport_size(DESKTOP)
    page.goto("/tickets")
    page.wait_for_load_state("load")  # app.js (deferred) has set up the "/" shortcut
    page.keyboard.press("/")
    search = page.get_by_role("searchbox", name="Search")
    expect(search).to_be_focused()
    _assert_focus_shown(page)
    page.screenshot(path=str(artifacts / "keyboard-search-focused.png"))
    page.keyboard.type("docking")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"q=docking"))

    _tab_to(page, page.get_by_role("link", name=re.compile(KEYBOARD_TICKET)))
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_contain_text(KEYBOARD_TICKET)

    _tab_to(page, page.get_by_role("button", name="Assign to me"))
    page.screenshot(path=str(artifacts / "keyboard-assign-focused.png"))
    page.keyboard.press("Enter")
    expect(page.locator(".flash-success")).to_have_text("Done: You own this ticket.")
    expect(page.locator(".details")).to_contain_text("Sam Staff")

    _tab_to(page, page.get_by_label("Priority"))
    page.keyboard.press("ArrowDown")  # Normal, then High
    _tab_to(page, page.get_by_role("button", name="Save changes"))
    page.keyboard.press("Space")
    expect(page.locator(".flash-success")).to_have_text("Done: Ticket updated.")
    expect(page.locator(".details")).to_contain_text("High")

    _tab_to(page, page.get_by_label("Message"))
    page.keyboard.type("Swapped the dock's cable: the hum is gone.")
    _tab_to(page, page.get_by_role("button", name="Send reply"))
    page.screenshot(path=str(artifacts / "keyboard-reply-focused.png"))
    page.keyboard.press("Enter")
    expect(page.locator(".flash-success")).to_have_text("Done: Reply sent.")
    expect(page.locator(".thread")).to_contain_text("the hum is gone")
