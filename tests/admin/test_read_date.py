"""Dates typed into the console's date fields are read the way a person writes them in either
language (what `admin/static/date-inputs.js` reads in the browser), also without scripts."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from gongdan.admin.form_rows import read_date


@pytest.mark.parametrize(
    "text",
    [
        *("2026-12-01", "2026-12-1", "2026/12/01", "2026.12.1", "2026年12月1日", "2026 年 12 月 1 号"),
        *("２０２６－１２－０１", "20261201", "1 Dec 2026", "1st December 2026", "Dec 1, 2026", "December 1 2026"),
    ],
)
def test_a_date_written_either_way_is_read(text: str) -> None:
    assert read_date(text) == date(2026, 12, 1)


@pytest.mark.parametrize("text", ["", "12/01/2026", "01/12/2026", "2026-02-30", "2026-13-01", "tomorrow", "1 Foo 2026"])
def test_what_is_not_a_date_is_not_guessed(text: str) -> None:
    assert read_date(text) is None


def test_the_audit_filter_reads_a_chinese_date_and_names_the_field_it_cannot_read(console_client: Any) -> None:
    chinese = console_client("admin", language="zh_CN")
    page = chinese.get("/console/audit/?from=2026年11月1日")
    assert page.status_code == 200
    refused = chinese.get("/console/audit/?to=11/02/2026")
    assert refused.status_code == 400
    assert "请按 年-月-日 填写日期，例如 2026-12-01。" in refused.get_data(as_text=True)
    assert 'id="audit-to" name="to" value="11/02/2026" class="form-control form-control-sm is-invalid' in (
        refused.get_data(as_text=True)
    )
