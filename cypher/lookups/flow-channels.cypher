// id: flow-channels
// title: Flow channels - the ports and protocols of each internal host's flows to addresses
// description: >
//   One row per (host, address) flow edge inside the window with its responder ports and protocols (the
//   transport and the application protocols the sensor recognised, e.g. Zeek's service or EVE's app_proto).
//   graphpivot exposure reads it to tag a flow by what it shows: an application protocol (T1071), none
//   (T1095) or a port its protocol does not use (T1571).
// attack: []
// maturity: stable
// params:
//   indicators: {type: "list[ip]", required: true, description: canonical addresses}
//   since: {type: time, default: 0, description: only flows seen at or after this time}
//   until: {type: time, default: 253402300799, description: only flows seen at or before this time}
// columns: [host, ip, ports, protocols]
MATCH (h:Host)-[c:CONNECTED_TO]->(a:IP)
WHERE a.key IN $indicators AND c.last_seen >= $since AND c.first_seen <= $until
RETURN h.key AS host, a.key AS ip, c.ports AS ports, c.protocols AS protocols
ORDER BY host, ip
