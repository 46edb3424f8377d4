"""A day's tally counts what the site answered, and how people judged it."""

from recognizer.records.day_stats import Tally, tally_rows


def test_a_drawing_rejected_as_not_a_digit_is_never_an_agreement():
    tally = Tally()
    # The site said "not a digit"; the person labelled it with the network's own guess.
    tally.count(digit=4, unsure=False, not_a_digit=True, corrected_label=4)
    tally.count(digit=7, unsure=False, not_a_digit=False, corrected_label=7)
    assert (tally.feedback, tally.agree) == (2, 1)
    assert tally.not_a_digit == 1
    # The confusion matrix stays the network's guess against the person's label.
    assert tally.confusion[4][4] == 1


def test_a_drawing_answered_not_a_digit_is_counted_as_that_not_as_the_networks_guess():
    tally = Tally()
    tally.count(digit=4, unsure=False, not_a_digit=True, corrected_label=None)
    tally.count(digit=4, unsure=False, not_a_digit=False, corrected_label=None)
    tally.count(digit=1, unsure=True, not_a_digit=True, corrected_label=None)
    assert (tally.n, tally.not_a_digit) == (3, 2)
    assert tally.digits == [0, 0, 0, 0, 1, 0, 0, 0, 0, 0]  # what the site answered


def test_a_tally_survives_its_json_form():
    rows = [
        {
            "digits": "3",
            "unsure": True,
            "not_a_digit": False,
            "model_version": "v",
            "corrected_label": 8,
        },
        {
            "digits": "4",
            "unsure": False,
            "not_a_digit": True,
            "model_version": "v",
            "corrected_label": 4,
        },
    ]
    tally = tally_rows(rows)["v"]
    assert Tally.from_json(tally.as_json()) == tally
