"""QueueManager: names unique whatever their case, slugs made free, lists in a natural order."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from ticketdesk.extensions import db
from ticketdesk.models import Role
from ticketdesk.services import queue_manager
from ticketdesk.services.directory import staff_members
from ticketdesk.services.errors import Conflict


@pytest.fixture
def queues(app, factory, admin):
    """The queue manager and the admin acting, in one app context."""
    with app.app_context():
        yield queue_manager(), factory.load(admin)
        db.session.remove()


@pytest.mark.parametrize("name", ["GENERAL", "general", "  General ", "Ｇｅｎｅｒａｌ"])
def test_a_name_another_queue_has_in_another_case_is_refused_on_the_name(queues, name):
    manager, admin = queues
    with pytest.raises(Conflict) as refused:
        manager.create_queue(admin, name=name, slug="other")
    assert (refused.value.field, refused.value.detail) == (
        "name",
        "A queue named General exists already.",
    )


def test_renaming_to_another_queues_name_in_another_case_is_refused(queues):
    manager, admin = queues
    billing = manager.create_queue(admin, name="Billing")
    with pytest.raises(Conflict) as refused:
        manager.rename_queue(admin, billing.id, name="gEnErAl")
    assert refused.value.field == "name"


def test_a_queue_may_change_the_case_of_its_own_name(queues):
    manager, admin = queues
    billing = manager.create_queue(admin, name="billing")
    assert manager.rename_queue(admin, billing.id, name="Billing").name == "Billing"


def test_names_differing_in_accents_are_different_names(queues):
    manager, admin = queues
    assert manager.create_queue(admin, name="Général", slug="fr").name == "Général"


def test_the_database_refuses_a_name_in_another_case(queues):
    """Two requests checked at once would both pass the service's check: the index on
    the folded name lets only one commit."""
    with pytest.raises(IntegrityError), db.engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO queues (name, slug, created_at) "
                "VALUES ('GENERAL', 'general-upper', '2026-01-01 00:00:00+00:00')"
            )
        )


def test_a_slug_made_from_the_name_is_one_no_queue_has(queues):
    manager, admin = queues
    assert manager.create_queue(admin, name="Général").slug == "general-2"
    assert manager.create_queue(admin, name="General!").slug == "general-3"
    assert manager.create_queue(admin, name="General 2").slug == "general-2-2"


@pytest.mark.parametrize(
    ("name", "slug"), [("Straße", "strasse"), ("Ｂｉｌｌｉｎｇ", "billing"), ("Ça va", "ca-va")]
)
def test_a_slug_spells_its_name_in_plain_letters(queues, name, slug):
    manager, admin = queues
    assert manager.create_queue(admin, name=name).slug == slug


def test_a_slug_made_from_a_long_name_stays_within_the_length(queues):
    manager, admin = queues
    manager.create_queue(admin, name="Long", slug="x" * 120)
    assert manager.create_queue(admin, name="X" * 120).slug == "x" * 118 + "-2"


def test_a_slug_made_again_from_the_name_on_rename_is_a_free_one(queues):
    manager, admin = queues
    billing = manager.create_queue(admin, name="Billing")
    renamed = manager.rename_queue(admin, billing.id, name="Général", slug="")
    assert renamed.slug == "general-2"
    again = manager.rename_queue(admin, billing.id, name="Général", slug="")
    assert again.slug == "general-2"  # its own slug is free for it


def test_a_slug_typed_that_another_queue_has_is_still_refused(queues):
    manager, admin = queues
    with pytest.raises(Conflict) as refused:
        manager.create_queue(admin, name="Général", slug="general")
    assert (refused.value.field, refused.value.detail) == (
        "slug",
        "The queue General has the slug 'general' already.",
    )


def test_queues_are_listed_by_name_whatever_their_case_and_accents(queues):
    manager, admin = queues
    for name in ("Zeta", "billing-team", "Échanges", "eagle", "Amber"):
        manager.create_queue(admin, name=name)
    names = [queue.name for queue in manager.list_queues(admin)]
    assert names == ["Amber", "billing-team", "eagle", "Échanges", "General", "Zeta"]


def test_staff_are_listed_by_name_whatever_their_case_and_accents(app, factory, staff, admin):
    for name in ("Zoë Zed", "bob builder", "Émile Eagle", "alice Ant"):
        factory.user(Role.STAFF, name=name)
    with app.app_context():
        team = staff_members(factory.load(staff))
        names = [member.name for member in team]
        db.session.remove()
    assert names == [
        "Ada Admin",
        "alice Ant",
        "bob builder",
        "Émile Eagle",
        "Sam Staff",
        "Zoë Zed",
    ]


def test_a_name_committed_meanwhile_in_another_case_is_refused_on_the_name(queues, monkeypatch):
    """Another request made "General" after this one's check: the index refuses this
    one's commit, and the refusal still names the field."""
    manager, admin = queues
    real, calls = type(manager)._other_queues, []

    def seen_before_the_other_commit(self, queue):
        calls.append(queue)
        return [] if len(calls) == 1 else real(self, queue)

    monkeypatch.setattr(type(manager), "_other_queues", seen_before_the_other_commit)
    with pytest.raises(Conflict) as refused:
        manager.create_queue(admin, name="GENERAL", slug="other")
    assert (refused.value.field, refused.value.detail) == (
        "name",
        "A queue named General exists already.",
    )
    assert len(calls) == 2  # the check, and again after the index refused the commit
