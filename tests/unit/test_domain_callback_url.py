"""What a callback_url may be (at intake and again at send time) and which addresses a
callback may reach: public unicast only; loopback http for the local stack alone."""

from __future__ import annotations

import ipaddress

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crisis_pager.domain.callback_url import (
    CallbackTarget,
    address_problem,
    callback_url_problem,
    parse_callback_url,
)


@pytest.mark.parametrize("url", [
    "https://hotline.example/crisis-pager/callbacks",
    "https://hotline.example:8443/cb?tenant=7",
    "HTTPS://Hotline.Example/cb",
    "https://8.8.8.8/cb",
    "https://[2606:4700::1111]/cb",
    "https://hotline.example./cb",
])
@pytest.mark.parametrize("allow", [False, True])
def test_https_to_a_name_or_public_address_is_accepted(url: str, allow: bool) -> None:
    assert callback_url_problem(url, allow_http_loopback=allow) is None


def test_the_target_is_what_is_connected_to_and_signed() -> None:
    assert parse_callback_url("https://Hotline.Example:8443/cb?tenant=7#x") == CallbackTarget(
        "https", "hotline.example", 8443, "/cb?tenant=7", "/cb")
    assert parse_callback_url("https://hotline.example") == CallbackTarget(
        "https", "hotline.example", 443, "/", "/")


@pytest.mark.parametrize("url", [
    "http://hotline.example/cb",
    "http://10.0.0.7/cb",
    "http://169.254.169.254/latest/meta-data/",
    "http://127.0.0.1.nip.io/cb",
    "ftp://hotline.example/cb",
])
@pytest.mark.parametrize("allow", [False, True])
def test_http_to_a_non_loopback_host_is_rejected(url: str, allow: bool) -> None:
    assert callback_url_problem(url, allow_http_loopback=allow) == "callback_url must use https"


@pytest.mark.parametrize("url", [
    "http://127.0.0.1:8765/crisis-pager/callbacks",
    "http://localhost:8765/cb",
    "http://[::1]:8765/cb",
])
def test_http_loopback_only_when_allowed(url: str) -> None:
    assert callback_url_problem(url, allow_http_loopback=True) is None
    assert callback_url_problem(url, allow_http_loopback=False) == "callback_url must use https"


@pytest.mark.parametrize("url", ["", "hotline.example/cb", "/crisis-pager/callbacks",
                                 "https:///cb"])
def test_a_relative_url_is_rejected(url: str) -> None:
    assert callback_url_problem(url, allow_http_loopback=True) == (
        "callback_url must be an absolute URL")


@pytest.mark.parametrize(("url", "names"), [
    # issue 10: a malformed IPv6 host made urlsplit raise ValueError (a 500 at intake)
    ("https://[::1/cb", "not a valid URL"),
    ("https://[zz]/cb", "not a valid URL"),
    ("https://hotline.example:99999/cb", "not a valid URL"),
    ("https://hotline.example:8o8o/cb", "not a valid URL"),
    ("https://hotline.example:0/cb", "port"),
    # internal addresses, however written
    ("https://169.254.169.254/latest/meta-data/", "link-local"),
    ("https://localhost/cb", "localhost"),
    ("https://api.localhost/cb", "localhost"),
    ("https://127.0.0.1:8080/admin", "loopback"),
    ("https://10.0.0.1/cb", "private"),
    ("https://192.168.1.20/cb", "private"),
    ("https://100.64.0.1/cb", "not public"),
    ("https://0.0.0.0/cb", "unspecified"),
    ("https://224.0.0.1/cb", "multicast"),
    ("https://[::1]/cb", "loopback"),
    ("https://[::]/cb", "unspecified"),
    ("https://[fe80::1%25eth0]/cb", "link-local"),
    ("https://[fd00::1]/cb", "private"),
    ("https://[ff02::1]/cb", "multicast"),
    ("https://[::ffff:127.0.0.1]/cb", "loopback"),
    ("https://[::ffff:169.254.169.254]/cb", "link-local"),
    ("https://[64:ff9b::a9fe:a9fe]/cb", "link-local"),  # NAT64 of 169.254.169.254
    ("https://[2002:a00:1::]/cb", "private"),  # 6to4 of 10.0.0.1
    ("https://0x7f000001/cb", "standard form"),
    ("https://2130706433/cb", "standard form"),
    ("https://017700000001/cb", "standard form"),
    ("https://127.1/cb", "standard form"),
    ("https://0177.0.0.1/cb", "standard form"),
    ("https://hotline.0x0a/cb", "standard form"),
    # credentials, whitespace, control characters, non-ASCII
    ("https://user:s3cr3t@hotline.example/cb", "user name or password"),
    ("https://user@hotline.example/cb", "user name or password"),
    ("https://hotline.example/cb\r\nX-Injected: 1", "control characters"),
    ("https://hotline.example/c b", "spaces"),
    ("https://hotline.example/cb\t", "spaces"),
    ("https://hotline.example/cb\x00", "control characters"),
    ("https://hötline.example/cb", "ASCII"),
])
@pytest.mark.parametrize("allow", [False, True])
def test_refused_urls_name_the_rule_and_never_the_url(url: str, names: str,
                                                      allow: bool) -> None:
    if allow and names in ("loopback", "localhost"):
        pytest.skip("https to loopback is the local stack's escape hatch")
    problem = callback_url_problem(url, allow_http_loopback=allow)
    assert problem is not None and names in problem, problem
    assert "s3cr3t" not in problem and "hotline.example" not in problem


def test_the_escape_hatch_opens_loopback_only() -> None:
    assert callback_url_problem("http://127.0.0.1:9/cb", allow_http_loopback=True) is None
    for url in ("http://10.0.0.1/cb", "https://10.0.0.1/cb", "https://169.254.169.254/",
                "http://[::ffff:10.0.0.1]/cb"):
        assert callback_url_problem(url, allow_http_loopback=True) is not None, url


@pytest.mark.parametrize("address", ["127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.0.1",
                                     "169.254.169.254", "100.64.0.1", "0.0.0.0", "240.0.0.1",
                                     "255.255.255.255", "224.0.0.251", "::1", "::",
                                     "fe80::1", "fc00::1", "ff05::2", "::ffff:10.0.0.1",
                                     "64:ff9b::7f00:1", "2002:7f00:1::", "2001:db8::1"])
def test_internal_addresses_are_not_allowed(address: str) -> None:
    assert address_problem(ipaddress.ip_address(address)) is not None


@pytest.mark.parametrize("address", ["8.8.8.8", "93.184.215.14", "2606:4700::1111"])
def test_public_addresses_are_allowed(address: str) -> None:
    assert address_problem(ipaddress.ip_address(address)) is None


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=80))
def test_any_text_is_a_target_or_a_problem_never_an_exception(text: str) -> None:
    for url in (text, "https://" + text, "https://[" + text + "]/cb"):
        for allow in (False, True):
            result = parse_callback_url(url, allow)
            assert isinstance(result, str | CallbackTarget)
            if isinstance(result, CallbackTarget):
                ip = result.address
                assert ip is None or address_problem(ip, allow) is None
