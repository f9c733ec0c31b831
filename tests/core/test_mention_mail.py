"""E-mail for @mentions (`gongdan.mention_mail`) through the SLA plugin's e-mail transport to a real
SMTP server (the e-mail plugin's `SmtpSink`): in each person's language, not to who switched it off,
not to the author."""

from __future__ import annotations

from email import message_from_bytes
from email.header import decode_header, make_header

from gongdan_email.testing import SmtpSink
from gongdan_sla.notify import retry_due

from gongdan import mention_mail, tickets
from gongdan.actors import Actor


def test_mentioned_people_get_an_email_in_their_language(tenant, make_user, enable_plugin, outbound_loopback):
    sink = SmtpSink().start()
    try:
        enable_plugin("sla", settings={"smtp_host": "127.0.0.1", "smtp_port": sink.port, "smtp_starttls": False})
        author, api = make_user("agent", name="李娜", email="lina@acme.example.com")
        chinese, _ = make_user("agent", name="王伟", email="wangwei@acme.example.com")
        english, _ = make_user("agent", name="Tom", email="tom@acme.example.com")
        quiet, _ = make_user("agent", name="赵敏", email="zhaomin@acme.example.com")
        chinese.language, english.language = "zh_CN", "en"
        chinese.save()
        english.save()
        mention_mail.set_wants_email(quiet, False)
        ticket, _ = tickets.create(tenant, {"subject": "快递丢了", "channel": "web"}, Actor.system("test"))
        body = {"body": "@王伟 @Tom @赵敏 @李娜 请看一下", "internal": True}
        body["mentions"] = [chinese.id, english.id, quiet.id, author.id]
        assert api.post(f"/api/v1/tickets/{ticket.id}/comments", json=body).status_code == 201
        retry_due(tenant)
        received = sink.wait_for(2)
    finally:
        sink.stop()
    got = {
        envelope.rcpt_tos[0]: str(make_header(decode_header(message_from_bytes(envelope.content)["Subject"])))
        for envelope in received
    }
    assert set(got) == {"wangwei@acme.example.com", "tom@acme.example.com"}  # not the author, not who opted out
    assert got["wangwei@acme.example.com"] == f"李娜 在工单 #{ticket.number}「快递丢了」中提到了你"
    assert got["tom@acme.example.com"] == f"李娜 mentioned you on ticket #{ticket.number} “快递丢了”"
