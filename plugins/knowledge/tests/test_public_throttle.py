"""L4: the public knowledge endpoints are throttled per address, one vote counts per address and
article, and views are written in batches."""

from __future__ import annotations

import time
from typing import Any

import pytest
from gongdan_knowledge import api, views
from gongdan_knowledge.models import Article


@pytest.fixture
def public_article(kb: Any, publish: Any) -> int:
    """A published public article's id (views written so far flushed away)."""
    article_id = publish("七天无理由退货", "签收后七天内可退。", visibility="public")
    views.flush()
    return article_id


def _from(client: Any, address: str, method: str, path: str, **kwargs: Any) -> Any:
    return client.open(path, method=method, environ_base={"REMOTE_ADDR": address}, **kwargs)


def test_three_hundred_anonymous_votes_count_once_and_the_flood_is_refused(
    client, tenant, public_article, frozen_clock
):
    path = f"/api/v1/kb/public/articles/{public_article}/votes?tenant={tenant.slug}"
    statuses = []
    for n in range(300):
        headers = {"User-Agent": f"bot/{n}"}  # a new browser each time does not make a new voter
        response = _from(client, "203.0.113.7", "POST", path, json={"helpful": n % 2 == 0}, headers=headers)
        statuses.append(response.status_code)
    limit = api.PUBLIC_VOTES[0]
    assert statuses[:limit] == [200] * limit
    assert set(statuses[limit:]) == {429}
    refused = _from(client, "203.0.113.7", "POST", path, json={"helpful": True})
    assert int(refused.headers["Retry-After"]) > 0
    assert refused.get_json()["error"]["code"] == "rate_limited"
    article = Article.get_by_id(public_article)
    assert article.helpful + article.not_helpful == 1
    other = _from(client, "198.51.100.9", "POST", path, json={"helpful": True})
    assert other.status_code == 200
    assert other.get_json()["helpful"] + other.get_json()["not_helpful"] == 2


def test_public_reads_are_throttled_per_address(client, tenant, public_article, frozen_clock):
    path = f"/api/v1/kb/public/articles/{public_article}?tenant={tenant.slug}"
    limit = api.PUBLIC_READS[0]
    for _ in range(limit):
        assert _from(client, "203.0.113.8", "GET", path).status_code == 200
    assert _from(client, "203.0.113.8", "GET", path).status_code == 429
    search = f"/api/v1/kb/public/search?tenant={tenant.slug}&q=退货"
    assert _from(client, "203.0.113.8", "GET", search).status_code == 429  # one budget for reads
    assert _from(client, "198.51.100.10", "GET", search).status_code == 200


def test_views_are_written_in_batches_not_one_update_each(kb, client, tenant, public_article, monkeypatch):
    path = f"/api/v1/kb/public/articles/{public_article}?tenant={tenant.slug}"
    monkeypatch.setattr(views, "FLUSH_SECONDS", 60.0)
    for n in range(50):
        assert _from(client, f"192.0.2.{n}", "GET", path).status_code == 200
    assert Article.get_by_id(public_article).views == 0  # nothing written per view
    assert kb.get(f"/api/v1/kb/articles/{public_article}").get_json()["views"] == 51  # pending ones shown
    assert views.flush() == 51
    assert Article.get_by_id(public_article).views == 51

    monkeypatch.setattr(views, "FLUSH_SECONDS", 0.2)
    _from(client, "192.0.2.200", "GET", path)
    deadline = time.monotonic() + 10
    while Article.get_by_id(public_article).views != 52 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert Article.get_by_id(public_article).views == 52  # the timer wrote it without another view

    monkeypatch.setattr(views, "FLUSH_SECONDS", 60.0)  # no timer racing the count on a busy machine
    monkeypatch.setattr(views, "FLUSH_AT", 10)
    for n in range(10):
        _from(client, f"192.0.2.{100 + n}", "GET", path)
    assert Article.get_by_id(public_article).views == 62  # a full batch is written at once
