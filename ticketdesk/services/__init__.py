"""The service layer: every rule of the helpdesk, callable from any surface.

The factories below build services for the current app's session and settings.
"""

from __future__ import annotations

from datetime import timedelta

from flask import current_app, has_request_context, request

from ticketdesk.extensions import db
from ticketdesk.services.audit import SecurityLog
from ticketdesk.services.email_change import EmailChanges, EmailChangeSettings
from ticketdesk.services.inbound_mail import DroppedMail
from ticketdesk.services.invitations import Invitations
from ticketdesk.services.notice_choices import NoticeChoices
from ticketdesk.services.notifications import Notifier, notification_settings
from ticketdesk.services.outbox import OutboxManager, delivery_settings
from ticketdesk.services.password_reset import PasswordResets, ResetSettings
from ticketdesk.services.queues import QueueManager, slugs_in_mail_settings
from ticketdesk.services.registration import Registrations
from ticketdesk.services.tickets import TicketManager
from ticketdesk.services.tokens import ApiTokens
from ticketdesk.services.users import UserManager, UserSettings


def ticket_manager() -> TicketManager:
    return TicketManager(
        db.session(),
        default_queue_slug=current_app.config["DEFAULT_QUEUE_SLUG"],
        notifier=notifier(),
        accounts=user_manager(),
    )


def notifier() -> Notifier:
    return Notifier(db.session(), notification_settings(current_app.config))


def notice_choices() -> NoticeChoices:
    return NoticeChoices(db.session())


def outbox_manager() -> OutboxManager:
    config = current_app.config
    return OutboxManager(
        db.session(), delivery_settings(config), notifications=notification_settings(config)
    )


def user_manager() -> UserManager:
    settings = UserSettings(bcrypt_rounds=int(current_app.config["BCRYPT_ROUNDS"]))
    return UserManager(db.session(), settings, log=security_log())


def api_tokens() -> ApiTokens:
    touch_interval = timedelta(seconds=int(current_app.config["TOKEN_TOUCH_INTERVAL"]))
    return ApiTokens(
        db.session(), user_manager(), log=security_log(), touch_interval=touch_interval
    )


def security_log() -> SecurityLog:
    """The security log, stamped with the address of the request being served, if any."""
    client_ip = request.remote_addr if has_request_context() else None
    return SecurityLog(db.session(), client_ip=client_ip)


def password_resets() -> PasswordResets:
    config = current_app.config
    settings = ResetSettings(
        base_url=config["BASE_URL"],
        from_address=config["MAIL_FROM"],
        bcrypt_rounds=int(config["BCRYPT_ROUNDS"]),
        lifetime=timedelta(minutes=int(config["PASSWORD_RESET_MINUTES"])),
        welcome_lifetime=timedelta(hours=int(config["WELCOME_LINK_HOURS"])),
    )
    return PasswordResets(db.session(), settings, log=security_log())


def email_changes() -> EmailChanges:
    """Changes of one's own address; the link lives as long as a welcome link: both prove
    a mailbox, often opened hours later."""
    config = current_app.config
    settings = EmailChangeSettings(
        base_url=config["BASE_URL"],
        from_address=config["MAIL_FROM"],
        bcrypt_rounds=int(config["BCRYPT_ROUNDS"]),
        lifetime=timedelta(hours=int(config["WELCOME_LINK_HOURS"])),
    )
    return EmailChanges(db.session(), settings, log=security_log())


def registrations() -> Registrations:
    enabled = bool(current_app.config["REGISTRATION_ENABLED"])
    return Registrations(db.session(), password_resets(), enabled=enabled, log=security_log())


def invitations() -> Invitations:
    return Invitations(db.session(), user_manager(), password_resets(), log=security_log())


def queue_manager() -> QueueManager:
    config = current_app.config
    return QueueManager(
        db.session(),
        default_queue_slug=config["DEFAULT_QUEUE_SLUG"],
        mail_slugs=slugs_in_mail_settings(config),
    )


def dropped_mail() -> DroppedMail:
    from ticketdesk.mail.intake import mail_intake

    return DroppedMail(db.session(), mail_intake)
