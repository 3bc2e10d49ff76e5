"""Your account: your name, your address (confirmed from the new mailbox), your password,
and (staff) the notices you are mailed."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, url_for
from flask_login import current_user, login_required

from ticketdesk.extensions import limiter
from ticketdesk.models import NewTicketNotices
from ticketdesk.security.limits import (
    address_key,
    current_password_limit,
    mail_to_account_limit,
    sign_in_limit,
)
from ticketdesk.services import email_changes, notice_choices, queue_manager, user_manager
from ticketdesk.services.errors import Conflict, ValidationFailed
from ticketdesk.web.blueprint import bp
from ticketdesk.web.forms.accounts import (
    ConfirmEmailForm,
    EmailChangeForm,
    NameForm,
    NoticesForm,
)
from ticketdesk.web.forms.widgets import options
from ticketdesk.web.session import actor, start_session
from ticketdesk.web.views import show_field_errors


def _signed_in_account_key() -> str:
    """The signed-in account (see `current_password_limit`), whoever's address it is."""
    return f"user:{current_user.id}" if current_user.is_authenticated else address_key()


@bp.get("/account")
@login_required
def account():
    """Your name and address, the forms that change them, and a link to change your
    password."""
    return _account_page()


@bp.post("/account/name")
@login_required
def change_name():
    """Change your own name."""
    form = NameForm()
    if form.validate_on_submit():
        try:
            user_manager().change_own_name(actor(), form.name.data)
        except ValidationFailed as error:
            show_field_errors(form, error)
        else:
            flash("Your name is changed.", "success")
            return redirect(url_for("web.account"))
    return _account_page(name_form=form)


@bp.post("/account/notifications")
@login_required
def choose_notices():
    """Choose which notices you are mailed (staff and admins: the service refuses anyone
    else)."""
    form = _offer_queues(NoticesForm())
    if form.validate_on_submit():
        try:
            notice_choices().choose(
                actor(),
                new_tickets=NewTicketNotices(form.new_tickets.data),
                queue_ids=form.queue_ids.data,
                assigned_to_me=form.assigned_to_me.data,
            )
        except ValidationFailed as error:
            show_field_errors(form, error)
        else:
            flash("Your notifications are saved.", "success")
            return redirect(url_for("web.account"))
    return _account_page(notices_form=form)


@bp.post("/account/email")
@login_required
@limiter.limit(sign_in_limit, key_func=address_key)
@current_password_limit(_signed_in_account_key)
@mail_to_account_limit()
def request_email_change():
    """Ask to change your address: a link to confirm it goes to the new one, a notice to
    the old one, and nothing changes until the link is used."""
    form = EmailChangeForm()
    if form.validate_on_submit():
        try:
            address = email_changes().request_change(
                actor(), new_email=form.email.data, current_password=form.current_password.data
            )
        except (ValidationFailed, Conflict) as error:
            show_field_errors(form, error)
        else:
            # The page itself says the change waits for the link, and what holds till then.
            flash(f"We sent a link to {address}: open it there to confirm.", "info")
            return redirect(url_for("web.account"))
    return _account_page(email_form=form)


@bp.route("/account/email/<token>", methods=["GET", "POST"])
@limiter.limit(sign_in_limit, key_func=address_key, methods=["POST"])
def confirm_email_change(token: str):
    """Confirm a new address from the link mailed to it, with a button: a mail scanner
    that opens the link changes nothing. Signed in there as its account, you stay so."""
    target = email_changes().link_target(token)
    if target is None:
        return render_template("account/email_link_invalid.html"), 404
    address, owner = target
    form = ConfirmEmailForm()
    if form.validate_on_submit():
        signed_in_as = current_user.id if current_user.is_authenticated else None
        try:
            user = email_changes().confirm_change(token)
        except Conflict as error:
            show_field_errors(form, error)
            return _confirm_page(form, address, owner, 409, taken=True)
        except ValidationFailed:  # used or expired since the page was drawn
            return render_template("account/email_link_invalid.html"), 404
        if signed_in_as == user.id:
            start_session(user)
            flash(f"Your address is now {user.email}.", "success")
            return redirect(url_for("web.account"))
        if signed_in_as is not None:  # someone else's link, opened in this browser
            flash(f"The address of {user.name}'s account is now {user.email}.", "success")
            return redirect(url_for("web.home"))
        flash(f"Your address is now {user.email}: sign in with it.", "success")
        return redirect(url_for("web.login"))
    return _confirm_page(form, address, owner, 422 if form.errors else 200)


@bp.get("/account/name")
@bp.get("/account/email")
@bp.get("/account/notifications")
@login_required
def account_form_address():
    """The address an account form posts to, opened (reloaded after an error, as the
    address bar then shows it): the account page, not a 405."""
    return redirect(url_for("web.account"))


def _confirm_page(form, address: str, owner, status: int, *, taken: bool = False):
    """The link's page: whose address it changes to what, and the button; none once the
    address turned out taken, as pressing it again would be refused again."""
    page = render_template(
        "account/confirm_email.html",
        form=form,
        address=address,
        owner=owner,
        taken=taken,
        title="Confirm your address",
    )
    return page, status


def _account_page(
    *,
    name_form: NameForm | None = None,
    email_form: EmailChangeForm | None = None,
    notices_form: NoticesForm | None = None,
):
    """The account page, with the form just sent (and its errors) if there is one."""
    user = actor()
    sent = name_form or email_form or notices_form
    page = render_template(
        "account/account.html",
        title="Your account",
        name_form=name_form or NameForm(formdata=None, name=user.name),
        email_form=email_form or EmailChangeForm(formdata=None),
        has_password=user.password_hash is not None,
        pending_address=email_changes().pending_address(user),
        # Customers have no notices to choose: their own tickets' mail always goes.
        notices_form=(notices_form or _notices_form(user)) if user.is_staff else None,
        staff_mailed_new_tickets=current_app.config["MAIL_NOTIFY_STAFF_ON_NEW_TICKET"],
    )
    return page, 422 if sent is not None else 200


def _notices_form(user) -> NoticesForm:
    """The notices form as the person's choice stands."""
    choice = notice_choices().choice_of(user)
    form = NoticesForm(
        formdata=None,
        new_tickets=choice.new_tickets.value,
        queue_ids=list(choice.queue_ids),
        assigned_to_me=choice.assigned_to_me,
    )
    return _offer_queues(form)


def _offer_queues(form: NoticesForm) -> NoticesForm:
    queues = queue_manager().list_queues(actor())
    form.queue_ids.choices = options((queue.id, queue.name) for queue in queues)
    return form
