"""The helpdesk story end to end, in Chromium: register, open, triage, answer, resolve, reopen."""

from __future__ import annotations

import io
import re
import struct
import zlib
from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import expect
from sqlalchemy import select

from tests.browser.conftest import STAFF_PASSWORD
from tests.mailbox import mailed_token
from ticketdesk.extensions import db
from ticketdesk.models import EventKind, Role, User
from ticketdesk.services import ticket_manager, user_manager


def large_photo() -> bytes:
    """A 2000 x 1500 JPEG, larger than a ticket page shows."""
    out = io.BytesIO()
    Image.new("RGB", (2000, 1500), "teal").save(out, "JPEG")
    return out.getvalue()


def red_square_png() -> bytes:
    """A real 8×8 PNG, so that the browser has something to decode."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 8, 8, 8, 2, 0, 0, 0)  # 8×8, 8-bit RGB
    pixels = zlib.compress(b"".join(b"\x00" + b"\xff\x00\x00" * 8 for _ in range(8)))
    signature = b"\x89PNG\r\n\x1a\n"
    return signature + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")


def sign_in(page, email: str, password: str) -> None:
    page.goto("/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator(".flash-success")).to_contain_text("Welcome back")


def test_customer_and_staff_work_a_ticket_together(new_page, live_app, artifacts):
    customer = new_page()
    customer.goto("/register")
    expect(customer).to_have_title("Create an account · Ticketdesk")
    customer.get_by_label("Your name").fill("Rosa Requester")
    customer.get_by_label("Email").fill("rosa@example.com")
    customer.get_by_role("button", name="Create account").click()
    expect(customer.get_by_role("heading", level=1)).to_have_text("Check your inbox")

    # The link from the welcome mail, as Rosa would open it from her inbox.
    customer.goto(f"/reset-password/{mailed_token(live_app, 'rosa@example.com', 'welcome')}")
    expect(customer.get_by_role("heading", level=1)).to_have_text("Choose your password")
    customer.get_by_label("New password", exact=True).fill("rosa password 1")
    customer.get_by_label("Repeat the new password").fill("rosa password 1")
    customer.get_by_role("button", name="Set password").click()
    expect(customer.locator(".flash-success")).to_contain_text("you are signed in")
    customer.get_by_role("link", name="Open your first ticket").click()

    expect(customer.get_by_role("heading", level=1)).to_have_text("New ticket")
    customer.get_by_label("Title").fill("Laptop will not boot")
    customer.get_by_label("Description").fill("It beeps **three times** <script>alert(1)</script>")
    customer.get_by_label("Priority").select_option(label="High")
    customer.get_by_label("Attach files").set_input_files(
        files=[
            {"name": "beeps.txt", "mimeType": "text/plain", "buffer": b"beep beep beep"},
            {"name": "screen.png", "mimeType": "image/png", "buffer": red_square_png()},
            {"name": "photo.jpg", "mimeType": "image/jpeg", "buffer": large_photo()},
        ]
    )
    customer.get_by_role("button", name="Open ticket").click()
    expect(customer.get_by_role("heading", level=1)).to_contain_text("Laptop will not boot")
    expect(customer.locator(".message-description .prose strong")).to_have_text("three times")
    expect(customer.locator(".message-description .attachments")).to_contain_text("beeps.txt")
    # The pictures show in place, decoded by the browser under the page's CSP: the small
    # screenshot as it is, the 2000-pixel photo as its 640-pixel preview.
    previews = customer.locator(".message-description .attachment-preview img")
    expect(previews).to_have_count(2)
    expect(previews.first).to_have_js_property("naturalWidth", 8)
    expect(previews.last).to_have_js_property("naturalWidth", 640)
    ticket_url = customer.url

    customer.get_by_role("link", name="My tickets").first.click()
    customer.get_by_role("searchbox", name="Search your tickets").fill("beeps")
    customer.get_by_role("button", name="Search").click()
    found = customer.get_by_role("row").filter(has_text="Laptop will not boot")
    # Marked in the description and in the attached file's name, beeps.txt.
    expect(found.locator(".snippet mark")).to_have_text(["beeps", "beeps"])
    expect(found.locator(".snippet")).to_contain_text("beeps.txt")

    staff = new_page()
    sign_in(staff, "sam@example.com", STAFF_PASSWORD)
    staff.screenshot(path=str(artifacts / "staff-ticket-list.png"), full_page=True)
    staff.get_by_label("Priority", exact=True).select_option(label="High")
    staff.get_by_label("Assignee").select_option(label="Unassigned")
    staff.get_by_role("button", name="Apply filters").click()
    expect(staff).to_have_url(re.compile(r"priority=high.*assignee=none"))
    row = staff.get_by_role("row").filter(has_text="Laptop will not boot")
    expect(row).to_contain_text("Open")
    staff.screenshot(path=str(artifacts / "staff-ticket-list-filtered.png"), full_page=True)
    row.get_by_role("link", name=re.compile("Laptop will not boot")).click()

    staff.get_by_role("button", name="Assign to me").click()
    expect(staff.locator(".flash-success")).to_have_text("Done: You own this ticket.")
    expect(staff.locator(".details")).to_contain_text("Sam Staff")

    with staff.expect_download() as download:
        staff.get_by_role("link", name="beeps.txt", exact=True).click()
    assert Path(download.value.path()).read_bytes() == b"beep beep beep"

    staff.get_by_label("Message").fill("Beep code 3 = RAM. Check the warranty first.")
    staff.get_by_label("Attach files").set_input_files(
        files=[{"name": "ram-test.log", "mimeType": "text/plain", "buffer": b"bank 2 failed"}]
    )
    staff.get_by_role("button", name="Add internal note").click()
    expect(staff.locator(".message-internal")).to_contain_text("Beep code 3 = RAM")
    expect(staff.locator(".message-internal .attachments")).to_contain_text("ram-test.log")

    staff.get_by_label("Message").fill("Please bring it to the front desk; we will swap the RAM.")
    staff.get_by_role("button", name="Send reply").click()
    expect(staff.locator(".flash-success")).to_have_text("Done: Reply sent.")

    staff.get_by_label("Status", exact=True).select_option(label="Resolved")
    staff.get_by_role("button", name="Save changes").click()
    expect(staff.locator(".flash-success")).to_have_text("Done: Ticket updated.")
    expect(staff.locator(".ticket-meta")).to_contain_text("Resolved")
    expect(staff.locator(".history")).to_contain_text("changed the status from Open to Resolved")
    staff.screenshot(path=str(artifacts / "staff-ticket-page.png"), full_page=True)

    customer.goto(ticket_url)
    expect(customer.locator(".ticket-meta")).to_contain_text("Resolved")
    expect(customer.locator(".thread")).to_contain_text("we will swap the RAM")
    expect(customer.locator(".thread")).not_to_contain_text("Beep code")
    expect(customer.locator(".thread")).to_contain_text("beeps.txt")
    expect(customer.locator(".thread")).not_to_contain_text("ram-test.log")
    expect(customer.locator(".message-internal")).to_have_count(0)
    customer.screenshot(path=str(artifacts / "customer-ticket-page.png"), full_page=True)
    customer.get_by_role("button", name="Reopen ticket").click()
    expect(customer.locator(".flash-success")).to_have_text("Done: Ticket reopened.")
    expect(customer.locator(".ticket-meta")).to_contain_text("Open")


def test_files_are_checked_as_chosen_and_sent_whatever_their_size(new_page, live_app, monkeypatch):
    page = new_page()
    sign_in(page, "dev@example.com", STAFF_PASSWORD)
    page.get_by_role("link", name="VPN drops every hour").click()
    message = page.get_by_label("Message")
    files = page.get_by_label("Attach files")

    monkeypatch.setitem(live_app.config, "ATTACHMENT_MAX_FILE_SIZE", 1024)
    page.reload()
    message.fill("The trace you asked for.")
    files.set_input_files(
        files=[{"name": "trace.log", "mimeType": "text/plain", "buffer": b"x" * 2048}]
    )
    expect(page.get_by_role("alert")).to_have_text(
        "trace.log is over 1 KB, the most a file may be."
    )
    page.get_by_role("button", name="Send reply").click()
    expect(page.locator(".flash-success")).to_have_count(0)
    expect(message).to_have_value("The trace you asked for.")

    # Over the 1 MB a plain form may send: the form's token check reads it all first.
    monkeypatch.undo()
    page.reload()
    message.fill("A photo of the router.")
    photo = red_square_png() + bytes(1_500_000)
    files.set_input_files(files=[{"name": "router.png", "mimeType": "image/png", "buffer": photo}])
    expect(page.get_by_role("alert")).to_be_hidden()
    page.get_by_role("button", name="Send reply").click()
    expect(page.locator(".flash-success")).to_have_text("Done: Reply sent.")
    expect(page.locator(".thread")).to_contain_text("router.png")


PASTE_FILE = """([event, name, bytes]) => {
    const files = new DataTransfer();
    files.items.add(new File([new Uint8Array(bytes)], name, {type: "image/png"}));
    const message = document.querySelector("textarea[name=body]");
    const init = {bubbles: true, cancelable: true};
    message.dispatchEvent(event === "paste"
        ? new ClipboardEvent("paste", {...init, clipboardData: files})
        : new DragEvent("drop", {...init, dataTransfer: files}));
}"""


def test_a_screenshot_pasted_or_a_file_dropped_into_a_reply_is_attached(new_page):
    page = new_page()
    sign_in(page, "dev@example.com", STAFF_PASSWORD)
    page.get_by_role("link", name="VPN drops every hour").click()
    page.wait_for_load_state("load")  # app.js (deferred) listens to the message box
    expect(page.get_by_text("You can also paste a screenshot")).to_be_visible()
    page.get_by_label("Message").fill("Here is what I see.")
    picture = list(red_square_png())

    page.evaluate(PASTE_FILE, ["paste", "image.png", picture])
    page.evaluate(PASTE_FILE, ["drop", "router.png", picture])

    names = "input => [...input.files].map(file => file.name)"
    chosen = page.get_by_label("Attach files").evaluate(names)
    assert re.fullmatch(r"screenshot-\d{8}-\d{6}\.png", chosen[0]) and chosen[1:] == ["router.png"]
    expect(page.get_by_label("Message")).to_have_value("Here is what I see.")
    page.get_by_role("button", name="Send reply").click()
    expect(page.locator(".flash-success")).to_have_text("Done: Reply sent.")
    expect(page.locator(".thread")).to_contain_text(chosen[0])
    expect(page.locator(".thread")).to_contain_text("router.png")


def test_a_ticket_leads_back_to_the_list_it_was_opened_from(new_page):
    page = new_page()
    sign_in(page, "sam@example.com", STAFF_PASSWORD)
    page.get_by_label("Status", exact=True).select_option(label="Any status")
    page.get_by_label("Search").fill("printer")
    page.get_by_role("button", name="Apply filters").click()
    expect(page).to_have_url(re.compile(r"q=printer"))
    page.wait_for_load_state("load")  # app.js (deferred) has noted the list
    listed = page.url
    page.get_by_role("link", name="Cannot print to the third-floor printer").click()
    page.get_by_label("Message").fill("On my way with a new toner.")
    page.get_by_role("button", name="Add internal note").click()  # the page reloads
    expect(page.locator(".flash-success")).to_have_text("Done: Internal note added.")
    page.wait_for_load_state("load")  # app.js has pointed the link back at the list

    page.get_by_role("link", name="← Tickets").click()

    expect(page).to_have_url(listed)
    expect(page.get_by_label("Search")).to_have_value("printer")


def test_a_ticket_opened_from_a_search_marks_the_words_searched_for(new_page, live_app):
    with live_app.app_context():
        customer = db.session.scalar(select(User).where(User.email == "dev@example.com"))
        ticket_id = (
            ticket_manager()
            .create_ticket(
                customer,
                title="Scanner keeps jamming",
                description="The scanner jams on every page. Jammed again today: it jams twice.",
            )
            .id
        )
        db.session.remove()
    page = new_page()
    sign_in(page, "sam@example.com", STAFF_PASSWORD)
    page.get_by_label("Search").fill("jammed")
    page.get_by_role("button", name="Apply filters").click()
    page.get_by_role("link", name="Scanner keeps jamming").click()

    marks = page.locator(".search-marks")
    # "jamming" in the title, then "jams", "Jammed" and "jams": forms of the word searched.
    expect(marks).to_contain_text("marked in 4 places")
    assert page.evaluate("CSS.highlights.get('searched-words').size") == 4
    marks.get_by_role("button", name="Show the first").click()
    expect(marks).to_contain_text("Place 1 of 4")
    assert page.evaluate("CSS.highlights.get('searched-word-shown').size") == 1

    page.goto(f"/tickets/{ticket_id}")  # not from a search: nothing marked
    expect(page.locator(".thread")).to_contain_text("Jammed again today")
    page.wait_for_load_state("load")
    expect(marks).to_have_count(0)
    assert page.evaluate("CSS.highlights.size") == 0


def test_a_ticket_opened_from_a_question_marks_its_words_but_not_those_left_out(new_page, live_app):
    with live_app.app_context():
        customer = db.session.scalar(select(User).where(User.email == "dev@example.com"))
        ticket_manager().create_ticket(
            customer, title="Plotter keeps stalling", description="The plotter is down again."
        )
        db.session.remove()
    page = new_page()
    sign_in(page, "sam@example.com", STAFF_PASSWORD)
    page.get_by_label("Search").fill("why is the plotter down")
    page.get_by_role("button", name="Apply filters").click()
    page.get_by_role("link", name="Plotter keeps stalling").click()

    # "Plotter" and "plotter"; not "The", "is" or "down", which the search left out.
    expect(page.locator(".search-marks")).to_contain_text("marked in 2 places")


def test_a_callers_name_in_the_search_box_leads_to_their_tickets_and_a_new_one(new_page):
    page = new_page()
    sign_in(page, "sam@example.com", STAFF_PASSWORD)
    page.get_by_label("Search").fill("dev cust")
    page.get_by_role("button", name="Apply filters").click()

    people = page.get_by_role("region", name="People matching your search")
    expect(people).to_contain_text("Dev Customer")
    expect(people).to_contain_text("dev@example.com")
    people.get_by_role("link", name="tickets from them").click()

    expect(page.locator(".requester-filter")).to_contain_text("Tickets from Dev Customer")
    expect(page.get_by_role("link", name="VPN drops every hour")).to_be_visible()
    expect(page.get_by_role("link", name="Invoice PDF is blank")).to_be_visible()  # any status

    page.get_by_role("link", name="New ticket for them").click()  # they are on the phone
    expect(page.get_by_label("Requester's email")).to_have_value("dev@example.com")
    page.get_by_label("Title").fill("Docking station flickers")
    page.get_by_label("Description").fill("Called in: the screen blinks when the fan starts.")
    page.get_by_role("button", name="Open ticket").click()
    expect(page.locator(".flash-success")).to_contain_text("is open for Dev Customer")
    expect(page.locator(".details")).to_contain_text("dev@example.com")


def test_sign_in_and_reply_with_the_keyboard_alone(new_page):
    page = new_page()
    page.goto("/login")
    expect(page.get_by_label("Email")).to_be_focused()  # autofocus: no click needed
    page.keyboard.type("sam@example.com")
    page.keyboard.press("Tab")
    page.keyboard.type(STAFF_PASSWORD)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Tickets")
    page.wait_for_load_state("load")  # app.js (deferred) has set up its shortcuts
    page.keyboard.press("Tab")  # the skip link comes first
    expect(page.get_by_role("link", name="Skip to content")).to_be_focused()
    page.keyboard.press("/")
    search = page.get_by_role("searchbox", name="Search")
    expect(search).to_be_focused()
    page.keyboard.type("printer")  # typed into the search box, not lost to a filter
    expect(search).to_have_value("printer")


def test_the_slash_shortcut_can_be_turned_off_for_this_browser(new_page):
    page = new_page()
    sign_in(page, "sam@example.com", STAFF_PASSWORD)
    page.get_by_role("link", name="Sam Staff", exact=True).click()
    switch = page.get_by_role("checkbox", name="Press / to jump to a list's search box")
    expect(switch).to_be_checked()
    switch.uncheck()
    expect(page.locator("#shortcuts-saved")).to_have_text("Shortcuts are off in this browser.")

    page.goto("/tickets")
    page.wait_for_load_state("load")
    page.keyboard.press("/")
    search = page.get_by_role("searchbox", name="Search")
    expect(search).not_to_be_focused()

    page.goto("/account")
    expect(switch).not_to_be_checked()  # as this browser keeps it
    switch.check()
    page.goto("/tickets")
    page.wait_for_load_state("load")
    page.keyboard.press("/")
    expect(search).to_be_focused()


def test_staff_list_fits_a_phone_screen(new_page, artifacts):
    page = new_page(width=390, height=844)
    sign_in(page, "sam@example.com", STAFF_PASSWORD)
    page.screenshot(path=str(artifacts / "staff-ticket-list-phone.png"), full_page=True)
    too_wide = page.evaluate(
        """() => [...document.querySelectorAll("body *")]
            .filter((el) => el.getBoundingClientRect().right > document.documentElement.clientWidth)
            .map((el) => el.tagName + "." + el.className)"""
    )
    assert too_wide == []
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    # The per-person counts are folded away, a tap away; on a wide screen they are open.
    by_person = page.locator("details.by-assignee")
    expect(by_person.get_by_role("link", name=re.compile("Unassigned"))).to_be_hidden()
    by_person.locator("summary").click()
    expect(by_person.get_by_role("link", name=re.compile("Unassigned"))).to_be_visible()


def test_a_long_unbroken_title_wraps_instead_of_widening_the_pages(new_page, live_app, artifacts):
    with live_app.app_context():
        customer = db.session.scalar(select(User).where(User.email == "dev@example.com"))
        ticket_id = (
            ticket_manager().create_ticket(customer, title="W" * 200, description="x" * 3000).id
        )
        db.session.remove()
    page = new_page()
    sign_in(page, "sam@example.com", STAFF_PASSWORD)
    for path in ("/tickets?sort=-created_at", f"/tickets/{ticket_id}"):
        page.goto(path)
        assert page.evaluate("document.documentElement.scrollWidth") <= 1280, path
    page.goto("/tickets?sort=-created_at")
    page.screenshot(path=str(artifacts / "staff-list-long-title.png"))
    table = page.locator("table.tickets")
    assert table.evaluate("t => t.scrollWidth <= t.parentElement.clientWidth")
    expect(page.locator("#bulk-status")).to_have_count(1)
    expect(page.get_by_label("Set status")).to_have_attribute("id", "bulk-status")


@pytest.mark.parametrize("width", [1280, 390])
def test_a_long_line_of_code_scrolls_in_its_own_box(new_page, live_app, artifacts, width):
    code = "```\n" + "x = 1 " * 60 + "\n```"
    with live_app.app_context():
        customer = db.session.scalar(select(User).where(User.email == "dev@example.com"))
        tickets = ticket_manager()
        ticket = tickets.create_ticket(customer, title="Log attached", description=code)
        tickets.add_comment(customer, ticket.id, body="And again:\n\n" + code)
        db.session.remove()
    page = new_page(width=width, height=900)
    sign_in(page, "sam@example.com", STAFF_PASSWORD)
    page.goto(f"/tickets/{ticket.id}")
    page.screenshot(path=str(artifacts / f"ticket-long-code-{width}.png"), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    for block in page.locator(".prose pre").all():
        assert block.evaluate("pre => pre.scrollWidth > pre.clientWidth")  # it scrolls


def _new_ticket_of_dev(live_app, title: str) -> int:
    with live_app.app_context():
        customer = db.session.scalar(select(User).where(User.email == "dev@example.com"))
        ticket_id = ticket_manager().create_ticket(customer, title=title, description="x").id
        db.session.remove()
    return ticket_id


def test_assign_to_me_keeps_its_distance_from_the_field_below(new_page, live_app, artifacts):
    ticket_id = _new_ticket_of_dev(live_app, "Nobody has this one yet")
    page = new_page()
    sign_in(page, "sam@example.com", STAFF_PASSWORD)
    page.goto(f"/tickets/{ticket_id}")
    page.locator(".ticket-side").screenshot(path=str(artifacts / "ticket-work-on-it.png"))
    button = page.get_by_role("button", name="Assign to me").bounding_box()
    label = page.locator('label[for="title"]').bounding_box()
    assert label["y"] - (button["y"] + button["height"]) >= 16


def test_a_customer_finds_close_and_reopen_by_the_status_on_a_phone(new_page, live_app, artifacts):
    ticket_id = _new_ticket_of_dev(live_app, "Where do I close this?")
    page = new_page(width=390, height=844)
    sign_in(page, "dev@example.com", STAFF_PASSWORD)
    page.goto(f"/tickets/{ticket_id}")
    page.screenshot(path=str(artifacts / "customer-ticket-phone.png"), full_page=True)
    close = page.get_by_role("button", name="Close ticket").bounding_box()
    status = page.locator(".ticket-meta .badge").first.bounding_box()
    assert status["y"] < close["y"] < page.locator("#conversation-heading").bounding_box()["y"]
    assert close["y"] + close["height"] <= 844  # on the first screen, no scrolling
    assert page.evaluate("document.documentElement.scrollWidth") <= 390


def test_staff_list_shows_the_per_person_counts_on_a_wide_screen(new_page):
    page = new_page()
    sign_in(page, "sam@example.com", STAFF_PASSWORD)
    page.wait_for_load_state("load")
    expect(
        page.locator("details.by-assignee").get_by_role("link", name=re.compile("Sam Staff"))
    ).to_be_visible()
    apply, reset = (
        page.locator(".filters").get_by_role(role, name=name)
        for role, name in (("button", "Apply filters"), ("link", "Reset"))
    )
    assert apply.bounding_box()["y"] == reset.bounding_box()["y"]  # a pair, side by side


def test_people_page_wraps_addresses_after_their_at_sign(new_page, live_app, artifacts):
    long_address = "firstname.middlename.lastname@subdivision.bigcorporation-example.com"
    with live_app.app_context():
        user_manager().create_user_unchecked(
            name="Maximiliana Lastname-Longname",
            email=long_address,
            password=None,
            role=Role.CUSTOMER,
        )
        db.session.remove()
    page = new_page()
    sign_in(page, "ada@example.com", STAFF_PASSWORD)
    page.goto("/admin/users")
    page.screenshot(path=str(artifacts / "admin-people-addresses.png"), full_page=True)
    table = page.locator("table.people")
    assert table.evaluate("t => t.scrollWidth <= t.parentElement.clientWidth")
    # Where each address's lines begin: an address breaks after its "@" or not at all,
    # unless one part alone is wider than its column (the long one).
    breaks = page.evaluate(
        """() => [...document.querySelectorAll('td[data-label="Email"]')].map((cell) => {
            const text = cell.textContent, range = document.createRange(), starts = [];
            let offset = 0, top = null;
            for (const child of cell.childNodes) {
              if (child.nodeType !== Node.TEXT_NODE) continue;
              for (let i = 0; i < child.length; i++, offset++) {
                range.setStart(child, i); range.setEnd(child, i + 1);
                const y = range.getBoundingClientRect().top;
                if (top !== null && y > top + 1) starts.push(offset);
                top = y;
              }
            }
            return [text, starts];
        })"""
    )
    for address, starts in breaks:
        if address != long_address:
            assert starts in ([], [address.index("@") + 1]), (address, starts)


def test_admin_adds_a_staff_member_and_a_queue(new_page, artifacts):
    page = new_page()
    sign_in(page, "ada@example.com", STAFF_PASSWORD)
    page.get_by_role("link", name="People").click()
    expect(page).to_have_title("People · Ticketdesk")
    form = page.locator("form", has=page.get_by_role("button", name="Add person"))
    form.get_by_label("Name").fill("Kim Agent")
    form.get_by_label("Email").fill("kim@example.com")
    form.get_by_label("Role").select_option(label="Staff")
    form.get_by_label("Initial password").fill("kim password 1")
    form.get_by_role("button", name="Add person").click()
    expect(page.locator(".flash-success")).to_contain_text("Created staff account")
    expect(page.get_by_role("row").filter(has_text="kim@example.com")).to_contain_text("Active")

    form.get_by_label("Name").fill("Lee Agent")  # no password typed: Lee is mailed a link
    form.get_by_label("Email").fill("lee@example.com")
    form.get_by_role("button", name="Add person").click()
    expect(page.locator(".flash-success")).to_contain_text("mailed a link to choose a password")
    lee = page.get_by_role("row").filter(has_text="lee@example.com")
    expect(lee).to_contain_text("no password yet")
    lee.get_by_role("button", name="Send password link to Lee Agent").click()
    expect(page.locator(".flash-success")).to_have_text(
        "Done: Lee Agent: Sent a link to choose a password to lee@example.com."
    )
    page.screenshot(path=str(artifacts / "admin-people.png"), full_page=True)

    page.get_by_role("link", name="Queues").click()
    page.get_by_label("Name").fill("Hardware")
    page.get_by_role("button", name="Add queue").click()
    expect(page.locator(".flash-success")).to_have_text("Done: Queue Hardware added.")
    expect(page.get_by_role("cell", name="hardware", exact=True)).to_be_visible()


def test_a_typed_reply_is_not_lost_to_another_button_or_a_link(new_page, live_app):
    with live_app.app_context():
        customer = db.session.scalar(select(User).where(User.email == "dev@example.com"))
        ticket_id = ticket_manager().create_ticket(customer, title="Fan noise", description="x").id
        db.session.remove()
    page = new_page()
    sign_in(page, "sam@example.com", STAFF_PASSWORD)
    page.goto(f"/tickets/{ticket_id}")
    asked: list[str] = []

    def refuse(dialog) -> None:
        asked.append(dialog.type)
        dialog.dismiss()

    page.on("dialog", refuse)
    page.get_by_role("button", name="Save changes").click()  # nothing typed: nothing asked
    expect(page.locator(".flash-info")).to_contain_text("Nothing to save")
    message = page.get_by_label("Message")
    message.fill("Half an answer")
    for button in ("Save changes", "Assign to me"):
        page.get_by_role("button", name=button).click()
        expect(message).to_have_value("Half an answer")
    page.get_by_role("link", name="← Tickets").click()
    expect(message).to_have_value("Half an answer")
    assert asked == ["confirm", "confirm", "beforeunload"]

    page.get_by_label("Then set status").select_option(label="Waiting")
    page.get_by_role("button", name="Send reply").click()
    expect(page.locator(".flash-success")).to_contain_text("Reply sent. Ticket set to Waiting.")
    assert len(asked) == 3  # sending the reply asked nothing
    expect(page.locator(".thread")).to_contain_text("Half an answer")


@pytest.mark.parametrize("width", [1280, 390])
def test_a_mails_history_line_reads_in_words_and_never_widens_the_page(new_page, live_app, width):
    key = "sha256:" + "feb626da47e1" * 5 + "0b949"
    with live_app.app_context():
        customer = db.session.scalar(select(User).where(User.email == "dev@example.com"))
        tickets = ticket_manager()
        ticket = tickets.create_ticket(customer, title="Mailed in", description="By mail")
        mailed = tickets.get_ticket(customer, ticket.id)
        tickets.record(mailed, customer, EventKind.MAIL, None, f"token: {key}")
        # Words of the history that come from people (a file's name) wrap too.
        tickets.record(mailed, customer, EventKind.FILE_REMOVED, "scan_" * 30 + ".pdf", None)
        db.session.commit()
        db.session.remove()
    page = new_page(width=width, height=900)
    sign_in(page, "sam@example.com", STAFF_PASSWORD)
    page.goto(f"/tickets/{ticket.id}")
    line = page.locator(".history li", has_text="wrote by email")
    expect(line).to_contain_text("Dev Customer wrote by email (threaded by the ticket's reply")
    expect(line).not_to_contain_text("sha256")
    expect(line.locator("[title]")).to_have_attribute("title", re.compile(re.escape(key)))
    assert page.evaluate("document.documentElement.scrollWidth") <= width
