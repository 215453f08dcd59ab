"""Sentences: a title before a name never ends one; real ends after "St." and "Jr." still do."""

import pytest

from corpus.sentences import split_sentences

TITLES = ("Rep. Reps. Sen. Sens. Gov. Gen. Gens. Lt. Col. Maj. Capt. Sgt. Cpl. Adm. Cmdr. Dr. Prof. Rev. "
          "Mr. Mrs. Ms. St. Ft. Mt. Pres. Supt. Atty. Hon. Msgr. Fr. Sr.").split()


def sentences(text: str) -> list[str]:
    spans = split_sentences(text)
    for start, end in spans:
        assert text[start:end].strip() == text[start:end] and text[start:end]
    return [text[start:end] for start, end in spans]


@pytest.mark.parametrize("title", TITLES)
def test_a_title_before_a_name_stays_in_its_sentence(title):
    text = f"The committee finally had its pick -- {title} Wren Alcott, who won the seat easily. Turnout was low."
    assert sentences(text) == [f"The committee finally had its pick -- {title} Wren Alcott, who won the seat easily.",
                               "Turnout was low."]


@pytest.mark.parametrize("text, want", [
    # Titles in a row, and a title at the end of a hard-wrapped line.
    ("The grant went to Lt. Gov. Ines Parr and her staff.", ["The grant went to Lt. Gov. Ines Parr and her staff."]),
    ("The plan was backed by Rep.\nOtto Brandt of the river district.",
     ["The plan was backed by Rep.\nOtto Brandt of the river district."]),
    ("Sens. Ada Moss and Carl Fenn wrote the bill.", ["Sens. Ada Moss and Carl Fenn wrote the bill."]),
    # A street, not a saint: the sentence ends.
    ("He lives on Main St. The house is painted blue.", ["He lives on Main St.", "The house is painted blue."]),
    ("The parade ended on Elm St.\nIt rained all day.", ["The parade ended on Elm St.", "It rained all day."]),
    ("The team flew to St. Louis on Friday.", ["The team flew to St. Louis on Friday."]),
    # "Jr." after a name ends the sentence unless the name goes on as a day or a building's.
    ("The prize went to Tomas Reed Jr. Anna Reed came second.",
     ["The prize went to Tomas Reed Jr.", "Anna Reed came second."]),
    ("The prize went to Tomas Reed Jr. He thanked his coach.",
     ["The prize went to Tomas Reed Jr.", "He thanked his coach."]),
    ("Offices close on Martin Luther King Jr. Day this year.",
     ["Offices close on Martin Luther King Jr. Day this year."]),
    # A title that ends a sentence before a word that is no name.
    ("The seat went to the Rep. He was sworn in on Monday.", ["The seat went to the Rep.", "He was sworn in on Monday."]),
    # Never across a paragraph break.
    ("The speaker was Gen.\n\nMarta Oyelaran spoke next.", ["The speaker was Gen.", "Marta Oyelaran spoke next."]),
])
def test_where_a_sentence_ends_around_abbreviations(text, want):
    assert sentences(text) == want
