"""PostgreSQL's snippets, made in Python (services/headlines.py): which words are marked,
and which stretches of a long text are shown."""

import pytest
from sqlalchemy import text

from ticketdesk.extensions import db
from ticketdesk.models.text_search import ENGLISH
from ticketdesk.services.headlines import Headliner, lexeme, text_start
from ticketdesk.services.search_sql import MARK_END, MARK_START


def shown(found: str | None) -> str | None:
    """A headline with its marks as brackets."""
    return found and found.replace(MARK_START, "[").replace(MARK_END, "]")


def words(*phrases: str) -> Headliner:
    """A headliner for these phrases, each word made a lexeme as PostgreSQL would ("the"
    and "in" being stop words)."""
    stop = {"the", "in", "a"}
    return Headliner([[None if w in stop else lexeme(w) for w in p.split()] for p in phrases])


def test_other_forms_of_a_word_are_marked_but_not_longer_words():
    found = words("printer").headline("Both printers jam. The printing queue is stuck.")

    assert shown(found) == "Both [printers] jam. The printing queue is stuck."


def test_words_are_marked_whatever_their_case_or_accents():
    found = words("muller").headline("Señor MÜLLER came by; Müller again.")

    assert shown(found) == "Señor [MÜLLER] came by; [Müller] again."


def test_letters_unaccent_spells_as_another_letter_are_folded_too():
    assert shown(words("lodz").headline("Office in Łódź")) == "Office in [Łódź]"


def test_a_letter_whose_lower_case_is_longer_leaves_the_marks_in_place():
    found = words("istanbul").headline("İzmir and Istanbul offices")

    assert shown(found) == "İzmir and [Istanbul] offices"


def test_a_word_inside_another_word_is_not_marked():
    assert words("net").headline("The internet and the cabinet") is None


def test_a_longer_word_that_starts_as_the_word_does_is_not_marked():
    found = words("net", "tray").headline("The network is down; the net and the trays too.")

    assert shown(found) == "The network is down; the [net] and the [trays] too."


def test_a_phrase_is_marked_only_where_its_words_follow_each_other():
    found = words("paper tray").headline("The tray has paper. Open the paper tray, please.")

    assert shown(found) == "The tray has paper. Open the [paper] [tray], please."


def test_a_stop_word_in_a_phrase_stands_for_any_one_word():
    found = words("printer in room").headline("printer room; printer at room 4")

    assert shown(found) == "printer room; [printer] at [room] 4"


def test_a_phrase_with_stop_words_at_its_ends_is_found_without_them():
    assert shown(words("the printer").headline("A printer")) == "A [printer]"


def test_parts_of_an_address_and_numbers_are_words():
    found = words("acme", "4711").headline("ann@acme.com sent invoice-4711.pdf")

    assert shown(found) == "ann@[acme].com sent invoice-[4711].pdf"


def test_a_long_text_shows_two_stretches_with_what_was_left_out_elided():
    filler = " ".join(f"w{n}" for n in range(100))
    body = f"{filler} the gearbox rattles {filler} gearbox again {filler} gearbox thrice"

    found = shown(words("gearbox").headline(body))

    first, second = found.split(" … ")
    assert first == (
        "…w93 w94 w95 w96 w97 w98 w99 the [gearbox] rattles"
        " w0 w1 w2 w3 w4 w5 w6 w7 w8 w9 w10 w11 w12 w13"
    )
    assert second.startswith("w92 w93 w94 w95 w96 w97 w98 w99 [gearbox] again w0 w1")
    assert second.endswith(" w13…")


def test_matches_inside_a_stretch_are_all_marked():
    found = words("disk").headline("disk full, disk slow, disk gone")

    assert shown(found) == "[disk] full, [disk] slow, [disk] gone"


def test_a_text_without_the_words_has_no_headline():
    assert words("printer").headline("Tray two is empty") is None


def test_a_query_of_stop_words_alone_marks_nothing():
    assert words("the").headline("the printer") is None


@pytest.mark.parametrize(
    ("body", "start"),
    [
        ("Tray two is empty again", "Tray two is empty again"),
        (" ".join(f"w{n}" for n in range(40)), " ".join(f"w{n}" for n in range(16)) + "…"),
        ("", ""),
    ],
)
def test_the_start_of_a_text_is_its_first_words(body, start):
    assert text_start(body) == start


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_words_are_made_lexemes_as_postgresql_makes_them(app):
    """The stemmer is the algorithm of PostgreSQL's own; the folding and the words kept
    whole (with digits) are this configuration's."""
    vocabulary = (
        "printers printing printed jammed happy companies running generously replies "
        "Müller naïve Señor café résumés line42 4711 IPv6 Ångström Łódź Søren"
    ).split()
    with app.app_context():
        theirs = {
            word: db.session.scalar(
                text(f"SELECT (tsvector_to_array(to_tsvector('{ENGLISH}', :word)))[1]"),
                {"word": word},
            )
            for word in vocabulary
        }

    assert {word: lexeme(word) for word in vocabulary} == theirs
