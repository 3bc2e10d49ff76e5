"""Finding people by the words of their name or address, through GET /api/v1/users?q=."""

from __future__ import annotations

import pytest

from ticketdesk.models import Role

USERS = "/api/v1/users"


def found(client, q: str, **query) -> list[str]:
    response = client.get(USERS, query_string={"q": q, **query})
    assert response.status_code == 200, response.json
    return sorted(user["name"] for user in response.json["items"])


@pytest.fixture
def people(factory):
    factory.user(Role.CUSTOMER, name="Carla Mendes", email="carla@acme-corp.example")
    factory.user(Role.CUSTOMER, name="Carlos O'Brien", email="cob@mail.example")
    factory.user(Role.CUSTOMER, name="Jean-Luc Picard", email="jl.picard+desk@starfleet.example")
    factory.user(Role.STAFF, name="Kim Agent", email="kim@helpdesk.example")
    factory.user(Role.CUSTOMER, name="José Núñez", email="jose@señal.example")


@pytest.mark.parametrize(
    ("q", "names"),
    [
        ("carla", ["Carla Mendes"]),
        ("carl", ["Carla Mendes", "Carlos O'Brien"]),
        ("CARL mend", ["Carla Mendes"]),
        ("brien", ["Carlos O'Brien"]),
        ("luc", ["Jean-Luc Picard"]),
        ("acme", ["Carla Mendes"]),
        ("corp", ["Carla Mendes"]),
        ("carla@acme-corp.example", ["Carla Mendes"]),
        ("starfleet", ["Jean-Luc Picard"]),
        ("desk", ["Jean-Luc Picard"]),
        ("helpdesk", ["Kim Agent"]),
        # Accents are folded, on both engines, whichever side has them.
        ("jose nunez", ["José Núñez"]),
        ("JOSÉ", ["José Núñez"]),
        ("núñ", ["José Núñez"]),
        ("senal", ["José Núñez"]),
    ],
)
def test_a_word_finds_people_whose_name_or_address_has_a_word_starting_so(
    as_staff, people, q, names
):
    assert found(as_staff, q) == names


def test_every_word_must_match(as_staff, people):
    assert found(as_staff, "carla obrien") == []


@pytest.mark.parametrize("q", ['"', "*", "carl*", "NEAR(carl)", "carl:*", "' OR 1=1 --", "a&b|!c"])
def test_query_syntax_is_plain_text(as_staff, people, q):
    response = as_staff.get(USERS, query_string={"q": q})
    assert response.status_code == 200


def test_nothing_but_punctuation_finds_nobody(as_staff, people):
    assert found(as_staff, "@@ -- ..") == []


def test_words_combine_with_role_and_pages(as_staff, people, factory):
    for index in range(3):
        factory.user(Role.CUSTOMER, name=f"Carlotta {index}")
    assert found(as_staff, "carl", role="staff") == []
    first = as_staff.get(USERS, query_string={"q": "carl", "limit": 3}).json
    rest = as_staff.get(
        USERS, query_string={"q": "carl", "limit": 3, "cursor": first["next_cursor"]}
    ).json
    names = [user["name"] for user in first["items"] + rest["items"]]
    assert sorted(names) == ["Carla Mendes", "Carlos O'Brien", *(f"Carlotta {i}" for i in range(3))]
    assert rest["next_cursor"] is None


def test_a_renamed_person_is_found_by_the_new_name_only(as_admin, people):
    [kim] = as_admin.get(USERS, query_string={"q": "agent"}).json["items"]
    assert as_admin.patch(f"{USERS}/{kim['id']}", json={"name": "Kim Helper"}).status_code == 200
    assert found(as_admin, "agent") == []
    assert found(as_admin, "help") == ["Kim Helper"]


def test_customers_cannot_look_people_up(as_customer, people):
    assert as_customer.get(USERS, query_string={"q": "carla"}).status_code == 403


def test_a_query_too_long_is_refused(as_staff):
    response = as_staff.get(USERS, query_string={"q": "a" * 201})
    assert response.status_code == 422
