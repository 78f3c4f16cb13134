"""Canonical forms on nasty inputs."""

from __future__ import annotations

import re

import pytest

from graphpivot import canonical as c
from graphpivot.model import entity, indicator_node


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Example.COM", "example.com"),
        ("example.com.", "example.com"),
        ("  evil[.]com ", "evil.com"),
        ("evil(.)co[.]uk", "evil.co.uk"),
        ("evil[dot]com", "evil.com"),
        ("Bücher.de", "xn--bcher-kva.de"),
        ("XN--BCHER-KVA.DE", "xn--bcher-kva.de"),
        ("пример.рф", "xn--e1afmkfd.xn--p1ai"),
        ("_dmarc.example.com", "_dmarc.example.com"),
        ("wpad", "wpad"),
    ],
)
def test_domain_canonical(raw: str, expected: str) -> None:
    assert c.canonical_domain(raw) == expected


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("", "empty"),
        ("1.2.3.4", "IP address"),
        ("evil.com:8080", "port"),
        ("http://evil.com/x", "URL"),
        ("a..b.com", "empty label"),
        ("-bad-.com", "invalid label"),
        ("xn--zzzz-.com", "invalid"),
        ("a" * 64 + ".com", "invalid label"),
        ("*.evil.com", "wildcard"),
        ("bad name.com", "invalid label"),
        ("123.456", "all-numeric"),
    ],
)
def test_domain_rejects_with_reason(raw: str, reason: str) -> None:
    with pytest.raises(c.InvalidValue, match=reason):
        c.canonical_domain(raw)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1.2.3.4", "1.2.3.4"),
        ("1[.]2[.]3[.]4", "1.2.3.4"),
        ("[2001:DB8::1]", "2001:db8::1"),
        ("2001:0db8:0000::0001", "2001:db8::1"),
        ("fe80::1%eth0", "fe80::1"),
        ("::ffff:192.0.2.1", "192.0.2.1"),
    ],
)
def test_ip_canonical(raw: str, expected: str) -> None:
    assert c.canonical_ip(raw) == expected


@pytest.mark.parametrize("raw", ["999.1.1.1", "01.2.3.4", "1.2.3", "example.com", ""])
def test_ip_rejects(raw: str) -> None:
    with pytest.raises(c.InvalidValue):
        c.canonical_ip(raw)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("hxxp://Evil[.]COM/Path?a=1#frag", "http://evil.com/Path?a=1"),
        ("hxxps[:]//evil.com:443/x", "https://evil.com/x"),
        ("HTTP://EVIL.COM:8080", "http://evil.com:8080/"),
        ("pastebin.com/raw/abc", "http://pastebin.com/raw/abc"),
        ("http://[2001:db8::1]:8443/a", "http://[2001:db8::1]:8443/a"),
        ("https://Bücher.de/", "https://xn--bcher-kva.de/"),
    ],
)
def test_url_canonical(raw: str, expected: str) -> None:
    assert c.canonical_url(raw) == expected


def test_url_rejects_bad_port() -> None:
    with pytest.raises(c.InvalidValue):
        c.canonical_url("http://evil.com:99999/")


def test_hashes_and_fingerprints() -> None:
    sha = "AB:" * 31 + "AB"
    assert c.canonical_hash(sha, "sha256") == "ab" * 32
    assert c.canonical_fingerprint("JA3", "E7D705A3286E19EA42F587B344EE6865") == "ja3:e7d705a3286e19ea42f587b344ee6865"
    with pytest.raises(c.InvalidValue):
        c.canonical_fingerprint("jarm", "abc")
    with pytest.raises(c.InvalidValue):
        c.canonical_hash("xyz", "md5")


def test_asn_email_cidr() -> None:
    assert c.canonical_asn("AS13335") == c.canonical_asn(" as 13335") == "13335"
    assert c.canonical_email("Admin@Evil[.]COM") == "admin@evil.com"
    assert c.canonical_cidr("10.1.2.3/8") == "10.0.0.0/8"
    with pytest.raises(c.InvalidValue):
        c.canonical_email("no-at-sign")


def test_entities_derive_properties() -> None:
    domain = entity("Domain", "H1.Wensa.AT.")
    assert domain.key == "h1.wensa.at"
    assert domain.props["registered_domain"] == "wensa.at"
    assert domain.props["is_registered"] is False
    ip = entity("IP", "10.18.20.97")
    assert ip.props == {"version": 4, "is_global": False}
    url = entity("URL", "hxxp://pastebin[.]com/raw/XyZ")
    assert url.key == "http://pastebin.com/raw/XyZ"
    assert (url.props["host"], url.props["path"]) == ("pastebin.com", "/raw/XyZ")
    fp = entity("Fingerprint", "JARM:" + "2A" * 31)
    assert fp.props["fp_type"] == "jarm"


@pytest.mark.parametrize(
    ("text", "label", "key"),
    [
        ("1.2.3.4:8080", "IP", "1.2.3.4"),
        ("[2001:db8::5]:443", "IP", "2001:db8::5"),
        ("2001:db8::5", "IP", "2001:db8::5"),
        ("evil[.]com", "Domain", "evil.com"),
        ("malwat.ch/malware", "URL", "http://malwat.ch/malware"),
        ("evil.com/", "Domain", "evil.com"),
    ],
)
def test_indicator_classification(text: str, label: str, key: str) -> None:
    node = indicator_node(text)
    assert (node.label, node.key) == (label, key)


@pytest.mark.parametrize(
    ("defanged", "key"),
    [
        ("evil [.] com", "evil.com"),
        ("evil\\.com", "evil.com"),
        ("hxxp[://]evil.com/a", "http://evil.com/a"),
        ("evil dot com", "evil.com"),
        ("EVIL DOT example DOT org", "evil.example.org"),
        ("evil(.)com[/]x", "http://evil.com/x"),
        ("hxxps://1.2.3[.]4/x", "https://1.2.3.4/x"),
    ],
)
def test_refang_undoes_the_forms_analysts_write(defanged: str, key: str) -> None:
    assert indicator_node(defanged).key == key


def test_refang_leaves_paths_and_real_brackets_alone() -> None:
    assert indicator_node("http://a.example/a\\.b(c)").key == "http://a.example/a\\.b(c)"
    assert indicator_node("http://[2001:db8::1]/x").key == "http://[2001:db8::1]/x"


# ---------------------------------------------------------------- values too long to refang (ReDoS)


@pytest.mark.parametrize("brackets", ["[" * 50_000 + "]" * 50_000, "(" * 100_000, "{" * 50_000 + "}" * 50_000])
def test_a_100k_bracket_value_is_rejected_by_length_before_refanging(brackets: str) -> None:
    """Such text took ioc-fanger's regex minutes; it is refused by its length instead, naming that length."""
    reason = f"value of 100000 characters, longer than any key ({c.MAX_KEY_BYTES} bytes)"
    for canonical in (c.refang, c.canonical_domain, c.canonical_ip, c.canonical_url, c.canonical_email,
                      c.canonical_cidr, indicator_node):
        with pytest.raises(c.InvalidValue, match=re.escape(reason)):
            canonical(brackets)


def test_a_long_defanged_host_is_rejected_by_length_not_fanged() -> None:
    """Under the key limit, a host part still defanged must be short enough to be a domain name."""
    host = "[" * 300 + "]" * 300
    longer = f"defanged host of 600 characters, longer than {c.MAX_DEFANGED_HOST_CHARS}"
    with pytest.raises(c.InvalidValue, match=longer):
        c.canonical_domain(host)
    with pytest.raises(c.InvalidValue, match="defanged host of 600 characters"):
        indicator_node(f"hxxp://{host}/path")
    # the longest domain name, every dot defanged, is still refanged
    labels = ["a" * 63, "b" * 63, "c" * 63, "d" * 61]
    assert c.canonical_domain(" (.) ".join(labels)) == ".".join(labels)
    assert c.canonical_domain("\\.".join(labels)) == ".".join(labels)


def test_long_runs_of_spaces_around_defanged_dots_are_stripped() -> None:
    assert c.refang("evil" + " " * 3000 + "[.]" + "\t" * 500 + "com") == "evil.com"
    assert c.refang("a" + " " * 4000 + "b") == "a" + " " * 4000 + "b"


def test_a_url_over_the_key_limit_in_bytes_but_not_in_characters_is_rejected_as_a_key() -> None:
    url = "http://long.example.com/" + "é" * 2100  # 2124 characters, 4224 UTF-8 bytes
    with pytest.raises(c.InvalidValue, match=f"key longer than {c.MAX_KEY_BYTES} bytes"):
        c.canonical_url(url)
