from gongdan_pdd_connector import protocol


def test_official_signing_example():
    params = {
        "access_token": "asd78172s8ds9a921j9qqwda12312w1w21211",
        "client_id": "1",
        "data_type": "XML",
        "order_status": "1",
        "page": "1",
        "page_size": "10",
        "timestamp": "1480411125",
        "type": "pdd.order.number.list.get",
    }
    assert protocol.sign(params, "testSecret") == "E4DE3ED21002510DED352819E7AE6775"


def test_sign_ignores_sign_and_serialises_values_like_they_are_sent():
    params = {"client_id": 1, "page": 1, "page_size": 10, "access_token": "asd78172s8ds9a921j9qqwda12312w1w21211"}
    params |= {"data_type": "XML", "order_status": 1, "timestamp": 1480411125, "type": "pdd.order.number.list.get"}
    assert protocol.sign({**params, "sign": "whatever", "skipped": None}, "testSecret") == (
        "E4DE3ED21002510DED352819E7AE6775"
    )


def test_json_values_are_compact_and_signed_as_sent():
    request = {"after_sales_id": 12, "order_sn": "210707-1", "operate_desc": "同意退款"}
    sent = protocol.prepare({"request": request, "flag": True, "gone": None})
    assert sent == {"request": '{"after_sales_id":12,"order_sn":"210707-1","operate_desc":"同意退款"}', "flag": "true"}
    assert protocol.sign({"request": request}, "s") == protocol.sign({"request": sent["request"]}, "s")


def test_message_digest_is_base64_of_lower_hex_md5():
    import base64
    import hashlib

    expected = base64.b64encode(hashlib.md5(b"id1700000000000sec").hexdigest().encode()).decode()
    assert protocol.message_digest("id", 1700000000000, "sec") == expected


def test_error_body_uses_the_documented_message():
    body = protocol.error_body(52101, request_id="r1")
    assert body["error_response"]["error_code"] == 52101
    assert body["error_response"]["error_msg"] == "当前接口被限流，请稍后重试"
    assert protocol.ERROR_CODES[10019].action == "refresh_token"
    assert 70031 in protocol.RETRYABLE_CODES
    assert 20004 not in protocol.RETRYABLE_CODES
