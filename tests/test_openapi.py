"""The OpenAPI document: valid OpenAPI 3, and a true description of every API route."""

from __future__ import annotations

import pytest
from openapi_spec_validator import validate

PUBLIC = {
    ("post", "/api/v1/auth/register"),
    ("post", "/api/v1/auth/tokens"),
    ("post", "/api/v1/auth/password-reset"),
    ("post", "/api/v1/auth/password-reset/confirm"),
    ("post", "/api/v1/auth/email-change/confirm"),
}


def flask_path(rule: str) -> str:
    return rule.replace("<int:", "{").replace(">", "}")


def test_document_is_valid_openapi(client):
    spec = client.get("/api/openapi.json").json
    assert spec["openapi"].startswith("3.")
    validate(spec)


def test_every_api_route_is_documented_with_auth_and_errors(app, client):
    spec = client.get("/api/openapi.json").json
    routes = [rule for rule in app.url_map.iter_rules() if rule.rule.startswith("/api/v1/")]
    assert routes
    for rule in routes:
        path = flask_path(rule.rule)
        assert path in spec["paths"], path
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            operation = spec["paths"][path][method.lower()]
            assert operation.get("summary"), (method, path)
            responses = operation["responses"]
            assert any(code.startswith("2") for code in responses), (method, path)
            if (method.lower(), path) in PUBLIC:
                assert not operation.get("security")
            else:
                assert operation["security"] == [{"BearerAuth": []}], (method, path)
                assert "401" in responses
            errors = [code for code in responses if code[0] in "45"]
            for code in errors:
                content = responses[code]["content"]
                assert list(content) == ["application/problem+json"], (method, path, code)


def test_bodies_are_documented(client):
    spec = client.get("/api/openapi.json").json
    for path, method in [
        ("/api/v1/tickets", "post"),
        ("/api/v1/tickets/{ticket_id}", "patch"),
        ("/api/v1/tickets/{ticket_id}/comments", "post"),
        ("/api/v1/users", "post"),
    ]:
        body = spec["paths"][path][method]["requestBody"]["content"]["application/json"]
        assert body["schema"]["$ref"].startswith("#/components/schemas/")


def test_list_filters_are_documented(client):
    spec = client.get("/api/openapi.json").json
    params = {p["name"] for p in spec["paths"]["/api/v1/tickets"]["get"]["parameters"]}
    assert {
        "status",
        "priority",
        "queue_id",
        "assignee_id",
        "requester_id",
        "sort",
        "limit",
        "cursor",
    } <= params


def test_docs_page_is_served(client):
    response = client.get("/api/docs")
    assert response.status_code == 200
    assert b"openapi.json" in response.data


@pytest.mark.parametrize(
    ("path", "method", "header"),
    [
        ("/api/v1/tickets", "post", "Idempotency-Key"),
        ("/api/v1/tickets/{ticket_id}/comments", "post", "Idempotency-Key"),
        ("/api/v1/tickets/{ticket_id}", "patch", "If-Match"),
    ],
)
def test_headers_the_routes_read_are_declared(client, path, method, header):
    operation = client.get("/api/openapi.json").json["paths"][path][method]
    headers = [p["name"] for p in operation["parameters"] if p["in"] == "header"]
    assert headers == [header]


def test_ticket_answers_declare_their_etag(client):
    paths = client.get("/api/openapi.json").json["paths"]
    assert "ETag" in paths["/api/v1/tickets"]["post"]["responses"]["201"]["headers"]
    assert "ETag" in paths["/api/v1/tickets/{ticket_id}"]["get"]["responses"]["200"]["headers"]
