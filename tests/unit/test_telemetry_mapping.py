"""What telemetry means in the graph: internal hosts, assets, folding, DNS chains, URLs, TLS, proxy lines."""

from __future__ import annotations

import ipaddress
from pathlib import Path

import pytest
from graphpivot.loaders.telemetry.assets import load_inventory, parse_assets
from graphpivot.loaders.telemetry.edges import Telemetry, common_name, connect_url, http_url
from graphpivot.loaders.telemetry.network import Network, is_peer_address
from graphpivot.loaders.telemetry.observations import Observations, derived_props
from graphpivot.loaders.telemetry.proxy import _Bluecoat, _squid, _time
from graphpivot.loaders.telemetry.zeek import SPECS, ZeekMapper
from graphpivot.loaders.telemetry.zeek_certs import CertIndex

from graphpivot.canonical import InvalidValue
from graphpivot.model import Edge, Node, Reject, entity


def emitted(obs: Observations) -> tuple[list[Node], list[Edge]]:
    records = list(obs.flush())
    return [r for r in records if isinstance(r, Node)], [r for r in records if isinstance(r, Edge)]


def edges_of(obs: Observations) -> dict[tuple[str, str, str], dict[str, object]]:
    return {(e.type, e.src_key, e.dst_key): e.props for e in emitted(obs)[1]}


# ---------------------------------------------------------------- internal hosts and assets


def test_default_internal_ranges() -> None:
    net = Network()
    inside = ["10.1.2.3", "172.31.255.1", "192.168.0.9", "fd00::1", "127.0.0.1", "169.254.1.1", "fe80::1"]
    outside = ["8.8.8.8", "172.32.0.1", "2001:db8::1", "100.64.0.1"]
    assert [net.host(a) is not None for a in inside] == [True] * len(inside)
    assert [net.host(a) for a in outside] == [None] * len(outside)
    assert net.host("10.0.0.5") == ("10.0.0.5", {"ip": "10.0.0.5"})
    assert net.host("::ffff:10.0.0.5") == ("10.0.0.5", {"ip": "10.0.0.5"})
    assert net.host("8.8.8.8", always=True) == ("8.8.8.8", {"ip": "8.8.8.8"})
    with pytest.raises(InvalidValue):
        net.host("not-an-ip")
    assert Network(["147.32.0.0/16"]).host("10.0.0.5") is None


def test_peer_addresses() -> None:
    assert is_peer_address("93.184.216.34") and is_peer_address("10.0.0.1")
    for address in ("224.0.0.251", "255.255.255.255", "0.0.0.0", "::", "ff02::1", "127.0.0.1"):
        assert not is_peer_address(address), address


def test_asset_inventory_rows(tmp_path: Path) -> None:
    path = tmp_path / "inventory.csv"
    path.write_text(
        "id,host name,addresses,team,tier\n"
        "LAPTOP-1,laptop1.corp.example,10.0.0.5; 10.0.8.5,sales,medium\n"
        "VPN-POOL,,10.8.0.0/16,network,low\n"
        ",,198.51.100.0/24,dmz,high\n"
        ",,,nobody,\n"
        "BAD,,10.0.0.999,x,y\n"
        "DUP,,10.0.8.5,x,y\n"
        "\n",
        encoding="utf-8",
    )
    items = list(parse_assets(path))
    rejects = [i for i in items if isinstance(i, Reject)]
    assert [(r.line, r.reason.split(":")[0].split(" (")[0]) for r in rejects] == [
        (5, "row has neither an asset id/hostname nor an address"),
        (6, "not an IP address or CIDR range"),
        (7, "10.0.8.5/32 is already listed for laptop-1"),
    ]
    inventory, bad = load_inventory([path])
    assert len(bad) == 3
    net = Network(inventory=inventory)
    assert net.host("10.0.8.5") == (
        "laptop-1",
        {"ip": "10.0.8.5", "hostname": "laptop1.corp.example", "owner": "sales", "criticality": "medium"},
    )
    assert net.host("10.8.3.4") == ("vpn-pool", {"ip": "10.8.3.4", "owner": "network", "criticality": "low"})
    # a range without an id makes public space internal and names hosts by address, with its owner
    assert net.host("198.51.100.7") == ("198.51.100.7", {"ip": "198.51.100.7", "owner": "dmz", "criticality": "high"})


def test_asset_csv_without_usable_header(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("foo,bar\n1,2\n", encoding="utf-8")
    (reject,) = parse_assets(path)
    assert isinstance(reject, Reject) and "header" in reject.reason


def test_longest_prefix_wins(tmp_path: Path) -> None:
    path = tmp_path / "inventory.csv"
    path.write_text("asset_id,ip\nFLOOR-3,10.3.0.0/16\nPRINTER,10.3.4.5\n", encoding="utf-8")
    net = Network(inventory=load_inventory([path])[0])
    assert net.host("10.3.4.5")[0] == "printer"  # type: ignore[index]
    assert net.host("10.3.4.6")[0] == "floor-3"  # type: ignore[index]


# ---------------------------------------------------------------- folding and emission


def test_observations_fold_with_the_merge_rules() -> None:
    obs = Observations()
    obs.edge("CONNECTED_TO", "Host", "10.0.0.5", "IP", "198.51.100.7", 200, bytes_out=10, ports=443, protocols="tcp")
    obs.edge("CONNECTED_TO", "Host", "10.0.0.5", "IP", "198.51.100.7", 100, bytes_out=5, bytes_in=7, ports=[443, 80])
    obs.edge("CONNECTED_TO", "Host", "10.0.0.5", "IP", "198.51.100.7", 300, count=0, signatures="ET TEST")
    assert edges_of(obs) == {
        ("CONNECTED_TO", "10.0.0.5", "198.51.100.7"): {
            "first_seen": 100,
            "last_seen": 300,
            "count": 2,
            "bytes_out": 15,
            "bytes_in": 7,
            "ports": [443, 80],
            "protocols": ["tcp"],
            "signatures": ["ET TEST"],
        }
    }


def test_list_properties_are_capped() -> None:
    obs = Observations()
    for port in range(1, 100):
        obs.edge("CONNECTED_TO", "Host", "10.0.0.5", "IP", "198.51.100.7", port, ports=port)
    (props,) = edges_of(obs).values()
    assert props["count"] == 99 and len(props["ports"]) == 32  # type: ignore[arg-type]


def test_groups_put_nodes_and_parent_domains_before_their_edges() -> None:
    obs = Observations(props_of={"Host": lambda key: {"owner": "sales"}})
    obs.edge("QUERIED", "Host", "10.0.0.5", "Domain", "a.b.example.com", 50, qtypes="A")
    obs.edge("RESOLVES_TO", "Domain", "a.b.example.com", "IP", "198.51.100.7", 60)
    records = list(obs.flush())
    order = [(type(r).__name__, r.key if isinstance(r, Node) else r.type) for r in records]
    assert order == [
        ("Node", "10.0.0.5"),
        ("Node", "example.com"),
        ("Node", "b.example.com"),
        ("Node", "a.b.example.com"),
        ("Node", "198.51.100.7"),
        ("Edge", "QUERIED"),
        ("Edge", "RESOLVES_TO"),
    ]
    nodes = {r.key: r.props for r in records if isinstance(r, Node)}
    assert nodes["10.0.0.5"] == {"owner": "sales", "first_seen": 50, "last_seen": 50}
    assert nodes["example.com"]["first_seen"] == 50 and nodes["example.com"]["last_seen"] == 60
    assert nodes["a.b.example.com"]["registered_domain"] == "example.com"


@pytest.mark.parametrize("key", ["example.com", "a.b.example.co.uk", "co.uk", "xn--bcher-kva.example", "localhost.lan"])
def test_derived_domain_props_match_the_entity_model(key: str) -> None:
    assert derived_props.__wrapped__("Domain", key) == entity("Domain", key).props


@pytest.mark.parametrize("key", ["8.8.8.8", "10.0.0.1", "2001:db8::1", "fd00::5"])
def test_derived_ip_props_match_the_entity_model(key: str) -> None:
    assert derived_props.__wrapped__("IP", key) == entity("IP", key).props


# ---------------------------------------------------------------- DNS, URLs, TLS


def test_answer_chain_follows_cnames_then_addresses() -> None:
    tm = Telemetry(Network(), Observations())
    tm.answer_chain("www.shop.com", "A", ["shop.cdn.net", "e1.edge.net", "198.51.100.1", "198.51.100.2", "0.0.0.0"], 9)
    tm.answer_chain("shop.com", "MX", ["mx1.shop.com", "10 bogus answer"], 9)
    tm.answer_chain("shop.com", "TXT", ["v=spf1 -all"], 9)
    assert set(edges_of(tm.obs)) == {
        ("CNAME", "www.shop.com", "shop.cdn.net"),
        ("CNAME", "shop.cdn.net", "e1.edge.net"),
        ("RESOLVES_TO", "e1.edge.net", "198.51.100.1"),
        ("RESOLVES_TO", "e1.edge.net", "198.51.100.2"),
        ("MX", "shop.com", "mx1.shop.com"),
    }
    assert tm.skipped == {
        "DNS answers pointing to loopback, multicast or unspecified addresses": 1,
        "DNS answers that are not names or addresses": 1,
    }


@pytest.mark.parametrize(
    ("parts", "url"),
    [
        (("http", "example.com", 80, "/a?b=1"), "http://example.com/a?b=1"),
        (("http", "example.com", 8080, "/a"), "http://example.com:8080/a"),
        (("http", "example.com:8080", 8080, "/a"), "http://example.com:8080/a"),
        (("http", "2001:db8::1", 80, "/"), "http://[2001:db8::1]/"),
        (("http", "proxy.corp", 3128, "http://real.example/x"), "http://real.example/x"),
        (("https", "example.com", 443, "x"), "https://example.com/x"),
    ],
)
def test_http_url(parts: tuple[str, str, int, str], url: str) -> None:
    assert http_url(*parts) == url


def test_connect_and_common_name() -> None:
    assert connect_url("example.com:443") == "https://example.com:443/"
    assert common_name("CN=*.example.com,O=Example\\, Inc.,C=US") == "*.example.com"
    assert common_name("O=No CN") is None


def _zeek(obs: Observations | None = None) -> ZeekMapper:
    return ZeekMapper(Telemetry(Network(), obs or Observations()), CertIndex())


def _values(kind: str, **fields: object) -> tuple[object, ...]:
    return tuple(fields.get(name) for name in SPECS[kind].names)


def test_zeek_ssl_with_fingerprints_and_a_modern_chain() -> None:
    zeek = _zeek()
    zeek.x509(
        _values(
            "x509",
            ts=10.0,
            fingerprint="AB" * 32,
            **{
                "certificate.subject": "CN=c2.example.net",
                "certificate.issuer": "CN=c2.example.net",
                "certificate.not_valid_before": 1.0,
                "certificate.not_valid_after": 2.0,
                "san.dns": ["*.c2.example.net"],
                "san.ip": ["198.51.100.9"],
            },
        )
    )
    zeek.ssl(
        _values(
            "ssl",
            ts=11.5,
            **{"id.orig_h": "10.0.0.5", "id.resp_h": "198.51.100.9", "id.resp_p": 443},
            server_name="c2.example.net",
            cert_chain_fps=["ab" * 32, "cd" * 32],
            ja3="E7D705A3286E19EA42F587B344EE6865",
            ja3s="0123456789abcdef0123456789abcdef",
            ja4="t13d1516h2_8daaf6152771_e5627efa2ab1",
        )
    )
    nodes, edges = emitted(zeek.tm.obs)
    got = {(e.type, e.src_key, e.dst_key) for e in edges}
    cert = "ab" * 32
    assert got == {
        ("SAN", cert, "c2.example.net"),
        ("SAN", cert, "198.51.100.9"),
        ("SERVES_CERT", "198.51.100.9", cert),
        ("SERVES_CERT", "c2.example.net", cert),
        ("CONNECTED_TO", "10.0.0.5", "c2.example.net"),
        ("USED_CLIENT", "10.0.0.5", "ja3:e7d705a3286e19ea42f587b344ee6865"),
        ("USED_CLIENT", "10.0.0.5", "ja4:t13d1516h2_8daaf6152771_e5627efa2ab1"),
        ("HAS_FINGERPRINT", "198.51.100.9", "ja3s:0123456789abcdef0123456789abcdef"),
        ("HAS_FINGERPRINT", "c2.example.net", "ja3s:0123456789abcdef0123456789abcdef"),
    }
    (certificate,) = [n for n in nodes if n.label == "Certificate"]
    assert certificate.props["key_type"] == "sha256" and certificate.props["self_signed"] is True
    assert certificate.props["subject_cn"] == "c2.example.net" and certificate.props["not_after"] == 2


def test_zeek_x509_keyed_by_files_log_hashes_else_counted() -> None:
    zeek = _zeek()
    zeek.files(_values("files", fuid="F1", mime_type="application/x-x509-user-cert", sha1="11" * 20, md5="22" * 16))
    zeek.x509(_values("x509", ts=1.0, id="F1", **{"certificate.subject": "CN=a"}))
    zeek.x509(_values("x509", ts=1.0, id="F2", **{"certificate.subject": "CN=b"}))
    zeek.ssl(
        _values(
            "ssl",
            ts=2.0,
            **{"id.orig_h": "10.0.0.5", "id.resp_h": "198.51.100.9", "id.resp_p": 443},
            cert_chain_fuids=["F1"],
        )
    )
    nodes, edges = emitted(zeek.tm.obs)
    (cert,) = [n for n in nodes if n.label == "Certificate"]
    assert cert.key == "11" * 20 and cert.props["key_type"] == "sha1" and cert.props["md5"] == "22" * 16
    assert [(e.type, e.src_key) for e in edges] == [("SERVES_CERT", "198.51.100.9")]
    assert zeek.tm.skipped == {"certificates without any hash (load the files.log that covers them)": 1}


def test_zeek_bad_values_raise_for_a_reject() -> None:
    zeek = _zeek()
    with pytest.raises(InvalidValue):
        zeek.dns(_values("dns", ts=1.0, query="bad..name.com", **{"id.orig_h": "10.0.0.5"}))
    with pytest.raises(InvalidValue):
        zeek.conn(_values("conn", ts=1.0, **{"id.orig_h": "10.0.0.5", "id.resp_h": "999.1.1.1"}))
    with pytest.raises(InvalidValue):
        zeek.http(
            _values("http", ts=1.0, uri="/x", host="bad host", **{"id.orig_h": "10.0.0.5", "id.resp_h": "198.51.100.1"})
        )


# ---------------------------------------------------------------- proxy lines


def test_squid_native_line() -> None:
    request = _squid(
        "1461576382.642    161 10.1.1.1 TCP_MISS/200 103701 GET http://www.cnn.com/ - DIRECT/1.2.3.4 text/html"
    )
    assert (request.ts, request.client, request.url, request.status, request.bytes_in) == (
        1461576382,
        "10.1.1.1",
        "http://www.cnn.com/",
        200,
        103701,
    )
    tunnel = _squid("1613260836.625 355 172.17.0.1 TCP_TUNNEL/200 5319 CONNECT google.com:443 - HIER_DIRECT/1.2.3.4 -")
    assert (tunnel.url, tunnel.method) == ("https://google.com:443/", "CONNECT")
    with pytest.raises(ValueError, match="not epoch seconds"):
        _squid("2021-02-14 00:00:24 [26] Request(default/-/-) a.com:443 1.2.3.4/1.2.3.4 - CONNECT REDIRECT x")


def test_bluecoat_fields_directive_sets_the_columns() -> None:
    parser = _Bluecoat()
    assert parser.line("#Software: SGOS 6.7") is None
    assert (
        parser.line(
            "#Fields: date time c-ip cs-method cs-uri-scheme cs-host cs-uri-port cs-uri-path "
            "cs-uri-query sc-status sc-bytes cs-bytes cs(User-Agent)"
        )
        is None
    )
    request = parser.line(
        '2024-05-01 10:00:00 10.2.2.2 GET https paste.example.org 443 /raw/abc ?x=1 200 512 90 "curl/8.0 (x86)"'
    )
    assert request is not None
    assert (request.ts, request.url, request.bytes_out, request.bytes_in, request.user_agent) == (
        1714557600,
        "https://paste.example.org/raw/abc?x=1",
        90,
        512,
        "curl/8.0 (x86)",
    )
    with pytest.raises(ValueError, match="#Fields has 13"):
        parser.line("2024-05-01 10:00:00 10.2.2.2 GET")


@pytest.mark.parametrize(
    ("value", "epoch"),
    [
        (1714557600, 1714557600),
        ("1714557600.9", 1714557600),
        (1714557600123, 1714557600),
        ("1714557600123456", 1714557600),
        ("2024-05-01T10:00:00Z", 1714557600),
        ("2024-05-01 12:00:00+02:00", 1714557600),
        ("2024-05-01T10:00:00", 1714557600),
    ],
)
def test_proxy_times(value: object, epoch: int) -> None:
    assert _time(value) == epoch


def test_ip_networks_in_inventory_are_canonical(tmp_path: Path) -> None:
    path = tmp_path / "i.csv"
    path.write_text("ip\n10.1.2.3/8\n", encoding="utf-8")
    (row,) = parse_assets(path)
    assert not isinstance(row, Reject) and row.networks == [ipaddress.ip_network("10.0.0.0/8")]
