"""Sign in, sign out, register and change password."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, logout_user

from ticketdesk.extensions import limiter
from ticketdesk.security.limits import (
    account_key,
    address_key,
    mail_to_account_limit,
    sign_in_limit,
    sign_up_limit,
)
from ticketdesk.services import password_resets, registrations, user_manager
from ticketdesk.services.errors import AuthenticationFailed, ValidationFailed
from ticketdesk.web.blueprint import bp
from ticketdesk.web.forms.accounts import (
    FirstPasswordForm,
    ForgotPasswordForm,
    LoginForm,
    PasswordForm,
    RegisterForm,
    ResetPasswordForm,
)
from ticketdesk.web.session import actor, safe_next, start_session
from ticketdesk.web.views import show_field_errors


@bp.get("/")
def home():
    """Send people where they work: their tickets, or the sign-in page."""
    if current_user.is_authenticated:
        return redirect(url_for("web.ticket_list"))
    return redirect(url_for("web.login"))


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(sign_in_limit, key_func=address_key, methods=["POST"])
@limiter.limit(sign_in_limit, key_func=account_key, methods=["POST"])
def login():
    """Sign in, then go back to the page that asked for it (on this site only)."""
    if current_user.is_authenticated and request.method == "GET":
        return redirect(safe_next(request.args.get("next")) or url_for("web.home"))
    form = LoginForm(next=request.args.get("next", ""))
    if form.validate_on_submit():
        try:
            user = user_manager().authenticate(email=form.email.data, password=form.password.data)
        except AuthenticationFailed as error:
            form.password.errors.append(error.detail)
        else:
            user_manager().record_sign_in(user)
            start_session(user)
            flash(f"Welcome back, {user.name}.", "success")
            return redirect(safe_next(form.next.data) or url_for("web.home"))
    return _render(form, "auth/login.html", "Sign in")


@bp.post("/logout")
def logout():
    """Sign out everywhere (a POST with a CSRF token, so no other site can sign you out)."""
    if current_user.is_authenticated:
        user_manager().sign_out(actor())
    logout_user()
    session.clear()
    flash("You are signed out.", "info")
    return redirect(url_for("web.login"))


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit(sign_up_limit, key_func=address_key, methods=["POST"])
@mail_to_account_limit()
def register():
    """Ask for a customer account; the answer never tells whether the address has one."""
    if current_user.is_authenticated and request.method == "GET":  # as the sign-in page does
        return redirect(url_for("web.home"))
    if not current_app.config["REGISTRATION_ENABLED"]:
        return render_template("auth/registration_closed.html"), 404
    form = RegisterForm()
    if form.validate_on_submit():
        try:
            registrations().register(name=form.name.data, email=form.email.data)
        except ValidationFailed as error:
            show_field_errors(form, error)
        else:
            return redirect(url_for("web.registration_sent"))
    return _render(form, "auth/register.html", "Create an account")


@bp.get("/register/sent")
def registration_sent():
    """What everyone who signs up is told: look for the link in your mail."""
    return render_template("auth/registration_sent.html")


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():
    """Change your own password; other sessions of yours are signed out."""
    form = PasswordForm()
    if form.validate_on_submit():
        try:
            user_manager().change_password(
                actor(),
                current_password=form.current_password.data,
                new_password=form.new_password.data,
            )
        except ValidationFailed as error:
            show_field_errors(form, error)
        else:
            start_session(actor())
            flash("Your password is changed.", "success")
            return redirect(url_for("web.account"))
    return _render(form, "auth/password.html", "Change password")


def _render(form, template: str, title: str):
    status = 422 if form.errors else 200
    return render_template(template, form=form, title=title), status


@bp.route("/forgot-password", methods=["GET", "POST"])
@limiter.limit(sign_up_limit, key_func=address_key, methods=["POST"])
@mail_to_account_limit()
def forgot_password():
    """Ask for a reset link; the answer never tells whether the address has an account."""
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        password_resets().request_reset(form.email.data)
        flash("If an account has this address, a link to reset its password is on its way.", "info")
        return redirect(url_for("web.login"))
    return _render(form, "auth/forgot.html", "Forgot your password?")


@bp.route("/reset-password/<token>", methods=["GET", "POST"])
@limiter.limit(sign_in_limit, key_func=address_key, methods=["POST"])
def reset_password(token: str):
    """Choose a password from a mailed link, and go on signed in."""
    owner = password_resets().link_owner(token)
    if owner is None:
        return render_template("auth/link_invalid.html"), 404
    # A welcome link, or a reset link for an account made by mail intake: nothing to reset.
    first = owner.password_hash is None
    form = FirstPasswordForm(name=owner.name) if first else ResetPasswordForm()
    if form.validate_on_submit():
        name = form.name.data if first else None
        try:
            user = password_resets().reset_password(token, form.new_password.data, name=name)
        except ValidationFailed as error:
            show_field_errors(form, error)
        else:
            user_manager().record_sign_in(user)
            start_session(user)
            flash("Your password is set, and you are signed in.", "success")
            return redirect(url_for("web.home"))
    title = "Choose your password" if first else "Choose a new password"
    return _render(form, "auth/reset.html", title)
