// id: exposure-fingerprint
// title: Internal hosts whose TLS client fingerprint matches an indicator
// description: >
//   A JA3/JA4 client fingerprint names the TLS library and its settings, so a match says the
//   host ran the same client as the malware or C2 tool, whatever server it talked to. Some
//   fingerprints are shared by common software: users (how many internal hosts show it) is
//   returned so rare matches rank above common ones.
// attack: [T1071.001, T1573.002, T1102]
// maturity: stable
// params:
//   indicators: {type: "list[str]", required: true, description: "fingerprint keys 'type:value', e.g. ja3:<md5>"}
//   since: {type: time, default: 0, description: only uses seen at or after this time}
//   until: {type: time, default: 253402300799, description: only uses seen at or before this time}
//   limit: {type: int, default: 100000, description: at most this many rows}
// columns: [host, indicator, indicator_kind, rel, url, touched, hops, first_seen, last_seen, count, bytes_out, telemetry, events, service, degree, users]
MATCH (f:Fingerprint)
WHERE f.key IN $indicators
MATCH (other:Host)-[:USED_CLIENT]->(f)
WITH f, count(DISTINCT other) AS users
MATCH (h:Host)-[c:USED_CLIENT]->(f)
WHERE c.last_seen >= $since AND c.first_seen <= $until
RETURN h.key AS host,
       f.key AS indicator,
       'Fingerprint' AS indicator_kind,
       'USED_CLIENT' AS rel,
       '' AS url,
       f.key AS touched,
       0 AS hops,
       c.first_seen AS first_seen,
       c.last_seen AS last_seen,
       c.count AS count,
       0 AS bytes_out,
       c.sources AS telemetry, c.events AS events,
       '' AS service,
       coalesce(f.degree, 0) AS degree,
       users
ORDER BY host, indicator
LIMIT $limit
