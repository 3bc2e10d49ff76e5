"""Admin pages: people (create, change role, deactivate, reactivate) and queues."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for

from ticketdesk.models import Role
from ticketdesk.services import queue_manager, user_manager
from ticketdesk.services.errors import Conflict, ValidationFailed
from ticketdesk.web.blueprint import bp
from ticketdesk.web.forms import (
    PeopleSearchForm,
    QueueForm,
    UserActiveForm,
    UserCreateForm,
    UserRoleForm,
)
from ticketdesk.web.session import actor, admin_page
from ticketdesk.web.views import show_field_errors

USERS_PER_PAGE = 50


@bp.route("/admin/users", methods=["GET", "POST"])
@admin_page
def admin_users():
    """Everyone with an account, and a form to add staff, admins or customers."""
    form = UserCreateForm()
    if form.validate_on_submit():
        try:
            user = user_manager().create_user(
                actor(),
                name=form.name.data,
                email=form.email.data,
                password=form.password.data,
                role=Role(form.role.data),
            )
        except ValidationFailed as error:
            show_field_errors(form, error)
        except Conflict as error:
            form.email.errors.append(error.detail)
        else:
            flash(f"Created {user.role} account for {user.email}.", "success")
            return redirect(url_for("web.admin_users"))
    search = PeopleSearchForm(request.args)
    text = (search.q.data or "").strip() if search.validate() else ""
    after = request.args.get("after", type=int)
    users = user_manager().list_users(
        actor(), text=text or None, limit=USERS_PER_PAGE + 1, after_id=after
    )
    more = len(users) > USERS_PER_PAGE
    users = users[:USERS_PER_PAGE]
    rows = [
        (
            user,
            UserRoleForm(formdata=None, prefix=f"u{user.id}", role=user.role.value),
            UserActiveForm(formdata=None, prefix=f"a{user.id}", active="0" if user.active else "1"),
        )
        for user in users
    ]
    return render_template(
        "admin/users.html",
        title="People",
        form=form,
        search=search,
        searched=text,
        here={"q": text or None, "after": after},
        rows=rows,
        next_url=url_for("web.admin_users", after=users[-1].id, q=text or None) if more else None,
    ), (422 if form.errors else 200)


@bp.post("/admin/users/<int:user_id>/role")
@admin_page
def admin_user_role(user_id: int):
    """Make someone a customer, staff member or admin."""
    form = UserRoleForm(prefix=f"u{user_id}")
    if form.validate_on_submit():
        _update_user(user_id, {"role": Role(form.role.data)}, "Role changed.")
    else:
        flash("Choose a role.", "error")
    return redirect(_back_to_people())


@bp.post("/admin/users/<int:user_id>/active")
@admin_page
def admin_user_active(user_id: int):
    """Deactivate an account (it can no longer sign in) or reactivate it."""
    form = UserActiveForm(prefix=f"a{user_id}")
    if form.validate_on_submit():
        active = form.active.data == "1"
        _update_user(user_id, {"active": active}, "Reactivated." if active else "Deactivated.")
    else:
        flash("That change could not be read; please try again.", "error")
    return redirect(_back_to_people())


def _back_to_people() -> str:
    """The people page as the change was made from: the same search and page."""
    q = request.args.get("q", "")[:200] or None
    return url_for("web.admin_users", q=q, after=request.args.get("after", type=int))


def _update_user(user_id: int, changes: dict, done: str) -> None:
    try:
        user = user_manager().update_user(actor(), user_id, changes)
    except (Conflict, ValidationFailed) as error:
        flash(error.detail, "error")
    else:
        if changes.get("active") is False and user.is_staff:
            done += " Their unresolved tickets are unassigned."
        flash(f"{user.name}: {done}", "success")


@bp.route("/admin/queues", methods=["GET", "POST"])
@admin_page
def admin_queues():
    """The queues tickets are filed in, and a form to add one."""
    form = QueueForm()
    if form.validate_on_submit():
        try:
            queue = queue_manager().create_queue(
                actor(), name=form.name.data, slug=form.slug.data or None
            )
        except ValidationFailed as error:
            show_field_errors(form, error)
        except Conflict as error:
            form.name.errors.append(error.detail)
        else:
            flash(f"Queue {queue.name} added.", "success")
            return redirect(url_for("web.admin_queues"))
    queues = queue_manager().list_queues(actor())
    return render_template("admin/queues.html", title="Queues", form=form, queues=queues), (
        422 if form.errors else 200
    )
