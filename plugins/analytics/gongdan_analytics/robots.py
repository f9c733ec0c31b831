"""Group robots of WeCom (企业微信), DingTalk (钉钉) and Feishu (飞书): message bodies, signing, sending.

* WeCom: `POST` the webhook URL (`.../cgi-bin/webhook/send?key=...`) with
  `{"msgtype": "markdown", "markdown": {"content": ...}}`; no signing (the key is in the URL).
* DingTalk: `{"msgtype": "markdown", "markdown": {"title": ..., "text": ...}}`; with 加签 the URL
  gets `&timestamp=<ms>&sign=<s>` where `s` = URL-encoded Base64 of HMAC-SHA256, keyed with the
  secret, of `"<timestamp>\\n<secret>"`.
* Feishu: `{"msg_type": "text", "content": {"text": ...}}`; with 签名校验 the body also carries
  `"timestamp": "<seconds>"` and `"sign"` = Base64 of HMAC-SHA256 keyed with `"<timestamp>\\n<secret>"`
  over an empty message.

Each robot answers HTTP 200 with an error code in the body when it refuses (`errcode` for WeCom
and DingTalk, `code` for Feishu); that counts as a failure. Requests go through `gongdan.outbound`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import urllib.parse
from dataclasses import dataclass
from typing import Any

from gongdan import outbound

ROBOTS = ("wecom", "dingtalk", "feishu")
TIMEOUT = 10


@dataclass(frozen=True)
class Message:
    """An alert as the robots show it: a title, lines of text and a link to the figures."""

    title: str
    lines: tuple[str, ...]
    link: str

    def markdown(self) -> str:
        """The message as Markdown (WeCom, DingTalk)."""
        body = "\n".join(f"- {line}" for line in self.lines)
        return f"### {self.title}\n{body}\n\n[{self.link}]({self.link})"

    def text(self) -> str:
        """The message as plain text (Feishu)."""
        return "\n".join([self.title, *self.lines, self.link])


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    """DingTalk's `sign` query value for `timestamp_ms` (URL-encoded Base64 HMAC-SHA256)."""
    digest = hmac.new(secret.encode(), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256).digest()
    return urllib.parse.quote_plus(base64.b64encode(digest).decode())


def feishu_sign(secret: str, timestamp_s: int) -> str:
    """Feishu's `sign` body value for `timestamp_s` (Base64 HMAC-SHA256 keyed with timestamp and secret)."""
    digest = hmac.new(f"{timestamp_s}\n{secret}".encode(), b"", hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def request_for(robot: str, url: str, secret: str | None, message: Message, now: float) -> tuple[str, dict[str, Any]]:
    """The URL and JSON body that deliver `message` to `robot` at time `now` (epoch seconds)."""
    if robot == "wecom":
        return url, {"msgtype": "markdown", "markdown": {"content": message.markdown()}}
    if robot == "dingtalk":
        body = {"msgtype": "markdown", "markdown": {"title": message.title, "text": message.markdown()}}
        if secret:
            stamp = int(now * 1000)
            url = f"{url}{'&' if '?' in url else '?'}timestamp={stamp}&sign={dingtalk_sign(secret, stamp)}"
        return url, body
    if robot == "feishu":
        body: dict[str, Any] = {"msg_type": "text", "content": {"text": message.text()}}
        if secret:
            stamp = int(now)
            body = {"timestamp": str(stamp), "sign": feishu_sign(secret, stamp), **body}
        return url, body
    raise ValueError(f"unknown robot {robot!r}")


class Refused(outbound.OutboundError):
    """The robot answered 200 with an error code in its body; only the code is kept."""

    def __init__(self, code: Any) -> None:
        self.code = "refused"
        self.message = f"the robot refused the message (code {code})"
        self.message_zh = f"机器人拒收消息（错误码 {code}）"
        Exception.__init__(self, self.message)


def configured(settings: dict[str, Any]) -> list[tuple[str, str, str | None]]:
    """`(robot, url, secret)` of each robot the tenant set up."""
    return [
        (robot, settings[f"{robot}_url"], settings.get(f"{robot}_secret") or None)
        for robot in ROBOTS
        if settings.get(f"{robot}_url")
    ]


def send(robot: str, url: str, secret: str | None, message: Message, now: float) -> None:
    """Deliver `message`; raises an `OutboundError` (blocked, unreachable, HTTP error, refused)."""
    target, body = request_for(robot, url, secret, message, now)
    response = outbound.check_status(outbound.request("POST", target, json=body, allow_http=True, timeout=TIMEOUT))
    try:
        answer = response.json()
    except ValueError:
        return
    code = answer.get("errcode", answer.get("code", answer.get("StatusCode", 0))) if isinstance(answer, dict) else 0
    if code not in (0, None):
        raise Refused(code)
