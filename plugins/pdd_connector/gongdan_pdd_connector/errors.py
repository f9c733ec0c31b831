"""What a failed sync, authorisation or quarantined record means, in the reader's language.

A failure keeps the platform's error code beside its raw text (`PddShop.last_error_code` and
`auth_error_code`, `PddSyncRun.error_code`, `PddQuarantine.error_code`; a record the connector
cannot read keeps `PddQuarantine.problem` and `field`). The console shows one sentence per known
code in the page's language; the raw text (the gateway's own words, often English or terse
Chinese) is shown only as a detail for an integrator.
"""

from __future__ import annotations

from collections.abc import Callable

from flask_babel import gettext
from flask_babel import lazy_gettext as _l

from gongdan_pdd_connector.claims import TAKEN
from gongdan_pdd_connector.client import NETWORK_ERROR
from gongdan_pdd_connector.models import PddQuarantine

_RETRY_LATER = _l("Pinduoduo had an internal error; the sync tries again later.")
_UNAVAILABLE = _l("The Pinduoduo service is unavailable for the moment; the sync tries again later.")

# the documented gateway codes (docs: ../shared/reference/pdd-open-platform.md, protocol.ERROR_CODES)
GATEWAY_SENTENCES = {
    NETWORK_ERROR: _l("The Pinduoduo gateway could not be reached or did not answer as expected."),
    10000: _l("Pinduoduo refused a parameter of the request."),
    10001: _l("Pinduoduo refused the request's common parameters (often this server's clock is off)."),
    10016: _l("Pinduoduo does not know the app's client id, or the app is offline: check the client id."),
    10019: _l("The shop's access token expired and could not be renewed."),
    20004: _l("Pinduoduo refused the request's signature: check the app's client secret."),
    20005: _l("This server's IP address is not on the app's IP whitelist: add it on the Pinduoduo open platform."),
    20031: _l("The app lacks the permission for this interface: apply for it on the Pinduoduo open platform."),
    20032: _l("The shop's authorisation is no longer valid: the shop must authorise the app again."),
    50000: _RETRY_LATER,
    50001: _l("Pinduoduo's business service refused the request."),
    50002: _RETRY_LATER,
    52101: _l("Pinduoduo is limiting calls to this interface; the sync tries again later."),
    52102: _UNAVAILABLE,
    52103: _UNAVAILABLE,
    70031: _l("Too many calls to Pinduoduo; the sync slows down and tries again later."),
    70036: _l("The app is in test mode on Pinduoduo and its calls are limited: publish the app."),
}

# the connector's own failures, stored as English text without a platform code
OWN_SENTENCES = {
    TAKEN: _l("This Pinduoduo shop (app and owner id) is connected in another tenant of this installation."),
    "interrupted": _l("The run stopped when its process ended; the next sync continues where it stopped."),
    "credentials could not be recovered after the key change; connect the shop again": _l(
        "The shop's credentials could not be recovered after the key change: connect the shop again."
    ),
}

FIELD_LABELS = {
    "id": _l("the after-sales id"),
    "order_sn": _l("the order number"),
    "after_sales_status": _l("the after-sales status"),
    "after_sales_type": _l("the after-sales type"),
    "amount": _l("an amount"),
    "images": _l("the buyer's images"),
}

PROBLEM_SENTENCES: dict[str, Callable[[str], str]] = {
    "empty": lambda _field: gettext("Pinduoduo sent an empty record."),
    "missing": lambda field: gettext("The record lacks %(field)s.", field=field),
    "not_number": lambda field: gettext("In the record, %(field)s is not a number.", field=field),
    "not_time": lambda field: gettext("In the record, %(field)s is not a time.", field=field),
    "not_list": lambda field: gettext("In the record, %(field)s is not a list.", field=field),
    "unknown_status": lambda _field: gettext("The record has an after-sales status the connector does not know."),
    "unknown_type": lambda _field: gettext("The record has an after-sales type the connector does not know."),
}


def describe(code: int | None, raw: str = "") -> str:
    """One sentence in the page's language for a failure with gateway code `code` (None: the
    connector's own failure, recognised by its stored text `raw`); '' when there is none."""
    if code is not None:
        known = GATEWAY_SENTENCES.get(code)
        return str(known) if known else gettext("Pinduoduo refused the call with an error the connector does not know.")
    if not raw:
        return ""
    own = OWN_SENTENCES.get(raw)
    return str(own) if own else gettext("The sync stopped on an unexpected error.")


def describe_problem(entry: PddQuarantine) -> str:
    """The sentence for a quarantined record: what is wrong with it, or why its details could
    not be read (problem 'detail', with the gateway's code)."""
    if entry.problem == "detail":
        return gettext("The record's details could not be read: %(why)s", why=describe(entry.error_code, entry.reason))
    sentence = PROBLEM_SENTENCES.get(entry.problem)
    if sentence is None:  # stored before problems were kept
        return gettext("The record could not be stored.")
    field = entry.problem_field
    label = FIELD_LABELS.get(field) or (gettext("a time") if field.endswith("_time") else gettext("a field"))
    return sentence(str(label))
