"""The connector's tables, from `gongdan.connectors` (each subclass names its own table; the
tenant comes first in every unique index): how far the sync has read per shop, each service order
as last stored (so a re-read keeps what agents changed since), and the orders that could not
become tickets, with the reason."""

from __future__ import annotations

from gongdan.connectors import RecordMirror, RecordQuarantine, SyncCursor


class Cursor(SyncCursor):
    """The end of the last window read completely, for one shop (vender) of one tenant."""

    class Meta:
        table_name = "jd_cursor"


class Mirror(RecordMirror):
    """A service order as last stored: its `updateTime`, its step (`state`), its ticket and the
    ticket values the sync applied."""

    class Meta:
        table_name = "jd_mirror"


class Quarantine(RecordQuarantine):
    """Service orders that could not become tickets: the raw order and the reason."""

    class Meta:
        table_name = "jd_quarantine"


MODELS = [Cursor, Mirror, Quarantine]
