"""Repeatable rows in console forms, shared by the core's settings form and the plugins' editors.

A list edited in a form (SLA policies, a day's opening hours, assignment rules, shifts, a
settings mapping) is a run of rows whose inputs are named `PREFIX-N-FIELD`; a row nested in
another adds its own prefix (`p-0-esc-1-after`). `rows()` reads them back in the order of N,
dropping rows left blank and rows whose `delete` box is ticked, so a form always offers one
blank row to add an item (and `console/_rows.html`'s "add" button, through `rows.js`, more).

Parsing a row's text into values uses the helpers below, whose messages are in the console's
language; `FormErrors` keeps each message under the input it belongs to, so the template shows
it beside that input. `translated()` turns a service's English message into the console's
language with a table of patterns, for the errors only the service can find.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from flask_babel import gettext
from flask_babel import lazy_gettext as _l

DELETE = "delete"
MANY = 10**6  # a bound only there to keep numbers within the database's integers
_HHMM = re.compile(r"^([01]\d|2[0-4]):([0-5]\d)$")


@dataclass
class FormRow:
    """One row of a repeatable list: its number N and its inputs' values by field name."""

    prefix: str
    n: int
    values: dict[str, list[str]] = field(default_factory=dict)
    source: str = ""  # `PREFIX-N` as posted (rows nested in this one are read under it)

    def nested(self, form: Any, sub: str, *, ignore: Iterable[str] = ("order",)) -> list[FormRow]:
        """The rows nested in this one under `sub`, numbered 0, 1, … beneath this row's (new) number."""
        found = rows(form, f"{self.source or f'{self.prefix}-{self.n}'}-{sub}", ignore=ignore)
        return renumbered(found, f"{self.prefix}-{self.n}-{sub}")

    def name(self, field_name: str) -> str:
        """The input's full name, `PREFIX-N-FIELD` (what errors are keyed by)."""
        return f"{self.prefix}-{self.n}-{field_name}"

    def get(self, field_name: str, default: str = "") -> str:
        """The input's text, stripped (the first value when it was sent more than once)."""
        found = self.values.get(field_name)
        return found[0].strip() if found else default

    def getlist(self, field_name: str) -> list[str]:
        """Every value sent for the input (ticked boxes, multiple selects), blanks left out."""
        return [v.strip() for v in self.values.get(field_name, []) if v.strip()]

    def blank(self, ignore: Iterable[str] = ()) -> bool:
        """Whether nothing was typed or picked in the row (fields in `ignore` do not count, nor do
        those of rows nested in it whose last part of the name is in `ignore`)."""
        skip = set(ignore) | {DELETE}
        return not any(v.strip() for key, vs in self.values.items() if key.rsplit("-", 1)[-1] not in skip for v in vs)


def rows(form: Any, prefix: str, *, ignore: Iterable[str] = ("order",)) -> list[FormRow]:
    """The rows `PREFIX-N-…` of `form` (a MultiDict) in the order of N, without blank or deleted rows.

    `ignore` names inputs that carry a value even in an untouched row (an order number, a
    select's first choice): a row with nothing else filled in is blank.
    """
    pattern = re.compile(rf"^{re.escape(prefix)}-(\d+)-(.+)$")
    found: dict[int, FormRow] = {}
    for key in form:
        match = pattern.match(key)
        if match is None:
            continue
        n = int(match.group(1))
        row = found.setdefault(n, FormRow(prefix, n, source=f"{prefix}-{n}"))
        row.values[match.group(2)] = list(form.getlist(key))
    kept = [found[n] for n in sorted(found)]
    return [row for row in kept if not row.blank(ignore) and not row.getlist(DELETE)]


def ordered(items: list[FormRow], field_name: str = "order") -> list[FormRow]:
    """`items` sorted by the number in their `field_name` input (rows without one keep their place)."""

    def key(pair: tuple[int, FormRow]) -> tuple[float, int]:
        index, row = pair
        try:
            return float(row.get(field_name)), index
        except ValueError:
            return float(index + 1), index

    return [row for _, row in sorted(enumerate(items), key=key)]


def renumbered(items: list[FormRow], prefix: str | None = None) -> list[FormRow]:
    """`items` numbered 0, 1, … in their order (and under `prefix`), as the form shows them again.

    Errors are keyed by these names, so a form shown again with an error marks the right input;
    the rows nested in each are still read under the number it was posted with.
    """
    return [
        FormRow(prefix or row.prefix, index, row.values, source=row.source or f"{row.prefix}-{row.n}")
        for index, row in enumerate(items)
    ]


class FormErrors(dict):
    """`{input name: [messages]}` in the console's language; `add()` appends one message."""

    def add(self, name: str, message: str) -> None:
        """Record `message` for the input called `name`."""
        self.setdefault(name, []).append(str(message))


def integer(text: str, name: str, errors: FormErrors, *, low: int | None = None, high: int | None = None) -> int | None:
    """`text` as a whole number within `low`–`high`; None (and a message under `name`) otherwise.

    An empty `text` is None without a message: the caller decides whether the value is required.
    """
    if not text:
        return None
    try:
        value = int(text)
    except ValueError:
        errors.add(name, gettext("Give a whole number."))
        return None
    too_low, too_high = low is not None and value < low, high is not None and value > high
    if too_low or too_high:
        if low is not None and high is not None and high < MANY:
            errors.add(name, gettext("Must be between %(low)s and %(high)s.", low=low, high=high))
        elif too_low:
            errors.add(name, gettext("Give a number of at least %(low)s.", low=low))
        else:
            errors.add(name, gettext("Give a number of at most %(high)s.", high=high))
        return None
    return value


UNITS = {"min": 1, "h": 60}


def duration(row: FormRow, field_name: str, errors: FormErrors, *, low: int = 1) -> int | None:
    """The row's `field_name` number in minutes, its unit taken from `FIELD_unit` (`min` or `h`)."""
    factor = UNITS.get(row.get(f"{field_name}_unit", "min"), 1)
    value = integer(row.get(field_name), row.name(field_name), errors, low=low, high=MANY)
    return None if value is None else value * factor


def shown_duration(minutes: int | None) -> tuple[str, str]:
    """`(number, unit)` to show a duration in minutes: whole hours as hours, else minutes."""
    if minutes is None:
        return "", "min"
    if minutes % 60 == 0:
        return str(minutes // 60), "h"
    return str(minutes), "min"


def clock_time(text: str, name: str, errors: FormErrors) -> str | None:
    """`text` as a time of day `HH:MM` (00:00–24:00); None and a message under `name` otherwise."""
    if not text:
        return None
    match = _HHMM.match(text[:5] if len(text) == 8 and text[5:] == ":00" else text)
    if match is None or (match.group(1) == "24" and match.group(2) != "00"):
        errors.add(name, gettext("Give a time of day, 00:00 to 24:00."))
        return None
    return match.group(0)


def interval(row: FormRow, start: str, end: str, errors: FormErrors) -> list[str] | None:
    """The row's `[start, end]` times; a message beside the end when it is not after the start."""
    begins = clock_time(row.get(start), row.name(start), errors)
    ends = clock_time(row.get(end), row.name(end), errors)
    if begins is None or ends is None:
        if bool(row.get(start)) != bool(row.get(end)):
            errors.add(row.name(end if row.get(start) else start), gettext("Give both the start and the end."))
        return None
    if ends <= begins:
        errors.add(row.name(end), gettext("The end must be after the start."))
        return None
    return [begins, ends]


_FULL_WIDTH = str.maketrans("０１２３４５６７８９／－：，", "0123456789/-:,")
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_YMD = re.compile(r"^(\d{4}) ?[-/.年] ?(\d{1,2}) ?[-/.月] ?(\d{1,2}) ?[日号]?$")
_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_DMY_WORDS = re.compile(r"^(\d{1,2})(?:st|nd|rd|th)? ([A-Za-z]{3,})\.?,? (\d{4})$")
_MDY_WORDS = re.compile(r"^([A-Za-z]{3,})\.? (\d{1,2})(?:st|nd|rd|th)?,? (\d{4})$")


def read_date(text: str) -> date | None:
    """A date as a person writes it in either language, or None: 2026-12-01, 2026/12/1, 2026.12.1,
    2026年12月1日, 20261201, 1 Dec 2026, Dec 1, 2026 (what `date-inputs.js` reads in the browser;
    the server reads the same, so a form sent without scripts is not refused for its format)."""
    plain = " ".join((text or "").translate(_FULL_WIDTH).split())
    if found := _YMD.match(plain) or _COMPACT.match(plain):
        y, m, d = (int(g) for g in found.groups())
    elif found := _DMY_WORDS.match(plain):
        d, y, m = int(found.group(1)), int(found.group(3)), _month(found.group(2))
    elif found := _MDY_WORDS.match(plain):
        m, d, y = _month(found.group(1)), int(found.group(2)), int(found.group(3))
    else:
        return None
    try:
        return date(y, m, d) if y >= 1000 else None
    except ValueError:
        return None


def _month(name: str) -> int:
    word = name[:3].lower()
    return _MONTHS.index(word) + 1 if word in _MONTHS else 0


def day(text: str, name: str, errors: FormErrors) -> date | None:
    """`text` as a date (`YYYY-MM-DD` or another way `read_date` reads); None and a message under
    `name` otherwise."""
    if not text:
        return None
    found = read_date(text)
    if found is None:
        errors.add(name, gettext("Write the date as year-month-day, for example 2026-12-01."))
    return found


def words(text: str) -> list[str]:
    """A line of words separated by commas (`,` or `，`), new lines or `、`, blanks dropped."""
    return [w.strip() for w in re.split(r"[,，、\n]", text or "") if w.strip()]


@dataclass(frozen=True)
class Pattern:
    """A service message (a regular expression) and its console wording (named groups fill it in)."""

    regex: re.Pattern[str]
    message: Any  # a lazy gettext string with %(name)s placeholders

    def render(self, text: str) -> str | None:
        """The console wording of `text`, or None when the pattern does not match it."""
        match = self.regex.search(text)
        if match is None:
            return None
        return str(self.message) % {k: (v or "").strip("'\"") for k, v in match.groupdict().items()}


def pattern(regex: str, message: Any) -> Pattern:
    """A `Pattern` from a regular expression's text (named groups fill the message)."""
    return Pattern(re.compile(regex), message)


COMMON = (
    pattern(r"^Must be one of: ", _l("Pick one of the choices offered.")),
    pattern(r"^Not a valid (integer|number)\.$", _l("Give a whole number.")),
    pattern(r"^Not a valid date\.$", _l("Give a date.")),
    pattern(r"^Missing data for required field\.$", _l("This is required.")),
    pattern(r"^Shorter than minimum length 1\.$", _l("This is required.")),
    pattern(r"^Longer than maximum length (?P<n>\d+)\.$", _l("At most %(n)s characters.")),
    pattern(
        r"^Must be greater than or equal to (?P<low>\S+) and less than or equal to (?P<high>\S+)\.$",
        _l("Must be between %(low)s and %(high)s."),
    ),
    pattern(r"^Must be greater than or equal to (?P<low>\S+)\.$", _l("Give a number of at least %(low)s.")),
)


def translated(message: str, table: Iterable[Pattern] = ()) -> str:
    """A service's message in the console's language: the first of `table`, then `COMMON`, that matches.

    A message no pattern knows is a generic "not accepted" rather than English with codes in it.
    """
    for item in (*table, *COMMON):
        found = item.render(str(message))
        if found is not None:
            return found
    return gettext("This value is not accepted.")


def move_errors(
    fields: Mapping[str, list[str]],
    where: Mapping[str, str],
    errors: FormErrors,
    table: Iterable[Pattern] = (),
    *,
    fallback: str,
) -> None:
    """Put a service's `{field path: [messages]}` beside the form's inputs.

    `where` maps a field path (`items.0.first_response`) or a prefix of it (`items.0`) to an
    input name; the longest known prefix wins, the rest goes under `fallback`.
    """
    table = tuple(table)
    for path, messages in fields.items():
        parts = path.split(".")
        target = fallback
        for length in range(len(parts), 0, -1):
            candidate = ".".join(parts[:length])
            if candidate in where:
                target = where[candidate]
                break
        for message in messages:
            errors.add(target, translated(str(message), table))
