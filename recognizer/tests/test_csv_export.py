"""CSV downloads are safe to open in a spreadsheet."""

import csv
import io

import pytest

from recognizer.csv_export import csv_lines, spreadsheet_safe


@pytest.mark.parametrize("text", ["=1+1", "+1+cmd", "-2+3", "@SUM(A1)", "\t=1", "\r=1"])
def test_text_a_spreadsheet_would_run_gets_an_apostrophe(text):
    assert spreadsheet_safe(text) == "'" + text


@pytest.mark.parametrize("value", ["ada", "1+1", "a=b", "", 7, -1, 0.5, None])
def test_everything_else_is_left_alone(value):
    assert spreadsheet_safe(value) is value


def test_lines_read_back_as_the_rows_with_formulas_defused():
    lines = list(csv_lines(["user", "digit"], [["=cmd|' /C calc'!A0", 3], ["bob, jr", -1]]))
    rows = list(csv.reader(io.StringIO("".join(lines))))
    assert rows == [["user", "digit"], ["'=cmd|' /C calc'!A0", "3"], ["bob, jr", "-1"]]
