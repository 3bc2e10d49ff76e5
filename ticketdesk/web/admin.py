"""Admin pages: people (create, correct name and address, change role, deactivate,
reactivate) and queues (add, rename, delete)."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for

from ticketdesk.models import HelpdeskStaff, Role
from ticketdesk.services import invitations, queue_manager, user_manager
from ticketdesk.services.errors import Conflict, ValidationFailed
from ticketdesk.services.stats import queue_loads
from ticketdesk.web.blueprint import bp
from ticketdesk.web.forms.admin import (
    PeopleSearchForm,
    QueueDeleteForm,
    QueueEditForm,
    QueueForm,
    UserActiveForm,
    UserCreateForm,
    UserEditForm,
    UserRoleForm,
)
from ticketdesk.web.forms.base import ButtonForm
from ticketdesk.web.paging import page_links
from ticketdesk.web.session import actor, admin_page
from ticketdesk.web.views import id_arg, show_field_errors

USERS_PER_PAGE = 50


@bp.route("/admin/users", methods=["GET", "POST"])
@admin_page
def admin_users():
    """Everyone with an account, and a form to add staff, admins or customers."""
    form = UserCreateForm()
    if form.validate_on_submit():
        try:
            user = invitations().add_person(
                actor(),
                name=form.name.data,
                email=form.email.data,
                password=form.password.data or None,
                role=Role(form.role.data),
            )
        except ValidationFailed as error:
            show_field_errors(form, error)
        except Conflict as error:
            form.email.errors.append(error.detail)
        else:
            mailed = "" if user.password_hash else "; they are mailed a link to choose a password"
            flash(f"Created {user.role} account for {user.email}{mailed}.", "success")
            return redirect(url_for("web.admin_users"))
    search = PeopleSearchForm(request.args)
    text = (search.q.data or "").strip() if search.validate() else ""
    searched = text or None
    after = id_arg("after")
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
        pages=page_links(
            lambda cursor, back: url_for("web.admin_users", after=cursor, q=searched, back=back),
            after,
            users[-1].id if more else None,
        ),
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


@bp.post("/admin/users/<int:user_id>/welcome")
@admin_page
def admin_user_welcome(user_id: int):
    """Mail someone with no password yet the link to choose one (signing up's welcome link)."""
    if not ButtonForm().validate_on_submit():
        flash("That request could not be read; please try again.", "error")
        return redirect(_back_to_people())
    try:
        user = invitations().send_welcome(actor(), user_id)
    except Conflict as error:
        flash(error.detail, "error")
    else:
        flash(f"{user.name}: Sent a link to choose a password to {user.email}.", "success")
    return redirect(_back_to_people())


@bp.get("/admin/users/<int:user_id>/deactivate")
@admin_page
def confirm_deactivate_user(user_id: int):
    """What deactivating an account does (and to whose tickets), and the button that does
    it: one click beside "Edit" unassigned a colleague's whole queue."""
    manager = user_manager()
    user = manager.get_user(actor(), user_id)
    if not user.active or user.id == actor().id:
        return redirect(_back_to_people())
    return render_template(
        "admin/deactivate_user.html",
        title=f"Deactivate {user.name}",
        user=user,
        held=manager.tickets_held(actor(), user_id),
        form=UserActiveForm(formdata=None, prefix=f"a{user.id}", active="0"),
        here=_people_page(),
    )


@bp.route("/admin/users/<int:user_id>", methods=["GET", "POST"])
@admin_page
def admin_user(user_id: int):
    """Correct someone's name or email address."""
    manager = user_manager()
    user = manager.get_user(actor(), user_id)
    name, email = user.name, user.email  # as stored, whatever a refused change left
    form = UserEditForm(obj=user)
    if form.validate_on_submit():
        changes = {"name": form.name.data, "email": form.email.data}
        try:
            user = manager.update_user(actor(), user_id, changes)
        except (ValidationFailed, Conflict) as error:
            show_field_errors(form, error)
        else:
            flash(f"{user.name}: Saved.", "success")
            return redirect(_back_to_people())
    return render_template(
        "admin/user.html",
        title=f"Edit {name}",
        form=form,
        name=name,
        email=email,
        user_id=user_id,
        here=_people_page(),
    ), (422 if form.errors else 200)


def _people_page() -> dict:
    """The search and page of the people page a change was made from."""
    q = request.args.get("q", "")[:200] or None
    return {"q": q, "after": id_arg("after")}


def _back_to_people() -> str:
    """The people page as the change was made from: the same search and page."""
    return url_for("web.admin_users", **_people_page())


def _update_user(user_id: int, changes: dict, done: str) -> None:
    manager = user_manager()
    try:
        held = manager.tickets_held(actor(), user_id)
        user = manager.update_user(actor(), user_id, changes)
    except (Conflict, ValidationFailed) as error:
        flash(error.detail, "error")
    else:
        if held and not HelpdeskStaff.can_hold_tickets(user):
            done += f" Their {_unresolved(held)} {'is' if held == 1 else 'are'} unassigned."
        flash(f"{user.name}: {done}", "success")


def _unresolved(count: int) -> str:
    return "1 unresolved ticket" if count == 1 else f"{count} unresolved tickets"


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
        except (ValidationFailed, Conflict) as error:
            show_field_errors(form, error)
        else:
            flash(_slug_said(queue, form.slug.data, f"Queue {queue.name} added."), "success")
            return redirect(url_for("web.admin_queues"))
    queues = queue_manager().list_queues(actor())
    loads = queue_loads(actor())
    return render_template(
        "admin/queues.html", title="Queues", form=form, queues=queues, loads=loads
    ), (422 if form.errors else 200)


@bp.route("/admin/queues/<int:queue_id>", methods=["GET", "POST"])
@admin_page
def admin_queue(queue_id: int):
    """Rename a queue or change its slug; the way to delete it."""
    manager = queue_manager()
    queue = manager.get_queue(actor(), queue_id)
    form = QueueEditForm(obj=queue)
    if setting := manager.setting_naming(queue):
        form.slug.render_kw = {"readonly": True}
        form.slug.description = f"The {setting} setting finds this queue by its slug: it stays."
    if form.validate_on_submit():
        try:
            manager.rename_queue(actor(), queue_id, name=form.name.data, slug=form.slug.data)
        except (ValidationFailed, Conflict) as error:
            show_field_errors(form, error)
        else:
            flash(_slug_said(queue, form.slug.data, f"Queue {queue.name} saved."), "success")
            return redirect(url_for("web.admin_queues"))
    return render_template(
        "admin/queue.html", title=f"Edit {queue.name}", form=form, queue=queue, setting=setting
    ), (422 if form.errors else 200)


def _slug_said(queue, typed: str | None, done: str) -> str:
    """`done`, and the slug as saved when it is not the one typed ("bad slug!" is stored
    as bad-slug): the address it goes into is not what the admin expects."""
    if typed and typed != queue.slug:
        return (
            f"{done} The slug was saved as '{queue.slug}', not as typed: a slug holds only"
            " lowercase letters a-z, digits and dashes."
        )
    return done


@bp.get("/admin/queues/<int:queue_id>/delete")
@admin_page
def confirm_delete_queue(queue_id: int):
    """What deleting the queue means and the button that does it, or why it cannot go."""
    manager = queue_manager()
    try:
        queue, refused = manager.queue_to_delete(actor(), queue_id), None
    except Conflict as error:
        queue, refused = manager.get_queue(actor(), queue_id), error.detail
    return render_template(
        "admin/delete_queue.html",
        title=f"Delete {queue.name}",
        queue=queue,
        refused=refused,
        form=QueueDeleteForm(),
    )


@bp.post("/admin/queues/<int:queue_id>/delete")
@admin_page
def delete_queue(queue_id: int):
    """Delete an empty queue."""
    if not QueueDeleteForm().validate_on_submit():
        flash("That request could not be read; please try again.", "error")
        return redirect(url_for("web.confirm_delete_queue", queue_id=queue_id))
    try:
        queue = queue_manager().delete_queue(actor(), queue_id)
    except Conflict as error:
        flash(error.detail, "error")
        return redirect(url_for("web.confirm_delete_queue", queue_id=queue_id))
    flash(f"Queue {queue.name} deleted.", "success")
    return redirect(url_for("web.admin_queues"))
