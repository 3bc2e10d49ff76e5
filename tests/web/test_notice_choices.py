"""The account page's Notifications: staff choose the notices they are mailed."""

from __future__ import annotations

import re

import pytest

from tests.web.conftest import WebUser
from ticketdesk.models import NewTicketNotices
from ticketdesk.services import notice_choices, queue_manager

FORM = 'action="/account/notifications#notices-heading"'
NAME_VALUE = re.compile(r'name="([^"]+)".*value="([^"]*)"')


@pytest.fixture
def sales(app, factory, admin) -> int:
    with app.app_context():
        return queue_manager().create_queue(factory.load(admin), name="Sales").id


def save(browser: WebUser, data: dict):
    return browser.post("/account/notifications", data, page="/account")


def choice_of(app, factory, person):
    with app.app_context():
        return notice_choices().choice_of(factory.load(person))


def checked(html: str) -> set[str]:
    """The name=value of each ticked radio button and checkbox."""
    ticked = [tag for tag in re.findall(r"<input [^>]*>", html) if " checked" in tag]
    return {"=".join(re.search(NAME_VALUE, tag).groups()) for tag in ticked}


def test_staff_see_what_they_are_mailed_as_it_stands(staff_web, admin_web, sales):
    for browser in (staff_web, admin_web):
        html = browser.html("/account")
        assert '<h2 id="notices-heading" class="section-title">Notifications</h2>' in html
        assert FORM in html and 'id="csrf-notices"' in html
        assert "Sales" in html and "General" in html
        assert checked(html) == {"new_tickets=all", "assigned_to_me=y"}


def test_a_customer_sees_no_notifications_section(customer_web):
    html = customer_web.html("/account")
    assert "Notifications" not in html and FORM not in html


def test_a_choice_is_saved_and_shown_checked(app, staff_web, factory, staff, sales):
    done = save(staff_web, {"new_tickets": "queues", "queue_ids": [str(sales)]})
    assert done.status_code == 302 and done.location == "/account"
    html = staff_web.html("/account")
    assert "Your notifications are saved." in html
    assert checked(html) == {"new_tickets=queues", f"queue_ids={sales}"}
    choice = choice_of(app, factory, staff)
    assert (choice.new_tickets, choice.queue_ids, choice.assigned_to_me) == (
        NewTicketNotices.CHOSEN_QUEUES,
        (sales,),
        False,
    )


def test_chosen_queues_with_none_ticked_are_refused_beside_the_queues(
    app, staff_web, factory, staff
):
    refused = save(staff_web, {"new_tickets": "queues", "assigned_to_me": "y"})
    assert refused.status_code == 422
    html = refused.get_data(as_text=True)
    assert "Choose at least one queue, or no new tickets at all." in html
    assert checked(html) == {"new_tickets=queues", "assigned_to_me=y"}  # as sent
    assert choice_of(app, factory, staff).new_tickets == NewTicketNotices.ALL


def test_a_choice_sent_without_the_form_token_is_refused(app, staff_web, factory, staff):
    sent = staff_web.client.post("/account/notifications", data={"new_tickets": "none"})
    assert sent.status_code == 400
    assert choice_of(app, factory, staff).new_tickets == NewTicketNotices.ALL


def test_a_customer_cannot_choose(customer_web):
    assert save(customer_web, {"new_tickets": "none"}).status_code == 403


def test_the_page_says_when_the_helpdesk_mails_staff_no_new_tickets(app, staff_web):
    app.config["MAIL_NOTIFY_STAFF_ON_NEW_TICKET"] = False
    assert "New tickets are mailed to no staff at present" in staff_web.html("/account")
