"""What one flow shows, by its ports and protocols (the flow channel of ATT&CK by evidence)."""

from __future__ import annotations

import pytest

from graphpivot.hunt.vocabulary import flow_attack


@pytest.mark.parametrize(("ports", "protocols", "shows"), [
    ((80,), ("tcp", "http"), {"T1071.001"}),
    ((443,), ("tcp", "ssl"), {"T1071.001"}),
    ((8443,), ("tcp", "ssl"), {"T1071.001", "T1571"}),  # TLS off its port
    ((53,), ("udp", "dns"), {"T1071.004"}),
    ((4444,), ("tcp",), {"T1095", "T1571"}),  # a transport only, on an odd port
    ((443,), ("tcp",), {"T1095"}),
    ((), ("icmp",), {"T1095"}),
    ((80,), (), set()),  # a port alone: a standard web port, no protocol named
    ((6667,), (), {"T1571"}),
    ((), (), set()),  # a flow that says nothing of itself shows nothing
])
def test_flow_shows_what_its_ports_and_protocols_say(ports: tuple[int, ...], protocols: tuple[str, ...],
                                                      shows: set[str]) -> None:
    assert flow_attack(ports, protocols) - {"T1102"} == shows  # T1102 needs a web service: the caller's test
    assert "T1102" in flow_attack(ports, protocols)
