"""Delivery over STARTTLS and implicit TLS, with SMTP AUTH, to a real aiosmtpd server."""

from __future__ import annotations

import ssl
import subprocess

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from tests.mail.conftest import free_port

USER, PASSWORD = "relay-user", "relay-password"


@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    """A self-signed certificate for 127.0.0.1, and its key."""
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"]
        + ["-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"]
        + ["-keyout", str(key), "-out", str(cert)],
        check=True,
        capture_output=True,
    )
    return cert, key


class TlsHandler:
    def __init__(self) -> None:
        self.deliveries: list[dict] = []

    async def handle_DATA(self, server, session, envelope):
        self.deliveries.append(
            {
                "tls": server.transport.get_extra_info("ssl_object") is not None,
                "login": session.auth_data,
                "to": envelope.rcpt_tos,
            }
        )
        return "250 OK"


def authenticate(server, session, envelope, mechanism, auth_data):
    ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (
        USER.encode(),
        PASSWORD.encode(),
    )
    return AuthResult(success=ok, handled=False, auth_data=USER if ok else None)


@pytest.fixture(params=["starttls", "tls"])
def tls_server(request, certificate):
    cert, key = certificate
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    handler, port = TlsHandler(), free_port()
    options = {"authenticator": authenticate}
    if request.param == "starttls":
        options.update(require_starttls=True, tls_context=context, auth_require_tls=True)
    else:  # TLS from the first byte: aiosmtpd cannot tell, so it must not hide AUTH
        options.update(ssl_context=context, auth_require_tls=False)
    controller = Controller(handler, hostname="127.0.0.1", port=port, **options)
    controller.start()
    yield request.param, port, handler
    controller.stop()


def _use(app, mode, port, certificate, password):
    app.config.update(
        SMTP_PORT=port,
        SMTP_STARTTLS=mode == "starttls",
        SMTP_TLS=mode == "tls",
        SMTP_USER=USER,
        SMTP_PASSWORD=password,
        SMTP_CA_FILE=str(certificate[0]),
        MAIL_NOTIFY_STAFF_ON_NEW_TICKET=False,
    )


def test_worker_delivers_over_tls_with_login(
    app, tls_server, certificate, deliver, customer, factory
):
    mode, port, handler = tls_server
    _use(app, mode, port, certificate, PASSWORD)
    factory.ticket(customer)
    assert deliver().sent == 1
    assert handler.deliveries == [{"tls": True, "login": USER, "to": [customer.email]}]


def test_untrusted_certificate_is_a_temporary_failure(app, tls_server, deliver, customer, factory):
    mode, port, handler = tls_server
    app.config.update(
        SMTP_PORT=port,
        SMTP_STARTTLS=mode == "starttls",
        SMTP_TLS=mode == "tls",
        MAIL_NOTIFY_STAFF_ON_NEW_TICKET=False,
    )
    factory.ticket(customer)
    assert deliver().retrying == 1
    assert handler.deliveries == []


def test_a_refused_login_kills_no_mail(
    app, tls_server, certificate, deliver, outbox, customer, factory
):
    """A 535 for the login is about our settings, not the message: every message waits,
    and once the password is right all of them go."""
    mode, port, handler = tls_server
    _use(app, mode, port, certificate, "wrong-password")
    for _ in range(3):
        factory.ticket(customer)

    result = deliver()

    assert (result.sent, result.retrying, result.dead, result.held) == (0, 1, 0, 2)
    assert [row["status"].value for row in outbox()] == ["pending"] * 3
    assert [row["attempts"] for row in outbox()] == [1, 0, 0]
    assert "refused the login" in outbox()[0]["last_error"]
    app.config["SMTP_PASSWORD"] = PASSWORD
    assert deliver().sent == 2  # the first waits out its retry delay
    assert len(handler.deliveries) == 2


def test_the_worker_stops_at_start_on_a_refused_login(
    app, tls_server, certificate, outbox, customer, factory
):
    mode, port, handler = tls_server
    _use(app, mode, port, certificate, "wrong-password")
    factory.ticket(customer)

    result = app.test_cli_runner().invoke(args=["worker", "--once"])

    assert result.exit_code == 1
    assert "refused the login" in result.output and "SMTP_PASSWORD" in result.output
    assert outbox()[0]["attempts"] == 0


def test_the_worker_starts_while_the_relay_is_away(app, outbox, customer, factory):
    app.config.update(SMTP_PORT=free_port(), MAIL_NOTIFY_STAFF_ON_NEW_TICKET=False)
    factory.ticket(customer)
    factory.ticket(customer)

    result = app.test_cli_runner().invoke(args=["worker", "--once"])

    assert result.exit_code == 0, result.output
    assert "Sent 0, retrying 1, dead 0." in result.output
    assert [row["attempts"] for row in outbox()] == [1, 0]
