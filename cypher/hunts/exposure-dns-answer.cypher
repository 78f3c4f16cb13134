// id: exposure-dns-answer
// title: Internal hosts that asked a name whose DNS answer carried an indicator IP
// description: >
//   The host QUERIED a name that RESOLVES_TO the indicator IP while it asked (time windows
//   overlapping): the answer brought the address to the host even when no flow to it was logged
//   (flows not collected, blocked, or not yet made). Weaker than a connection: it shows intent to
//   connect, not contact. degree is how many domains resolve to the IP (a shared IP makes the
//   name the host asked more likely another tenant's); service names a web service operating the
//   name; users is how many internal hosts asked it.
// attack: [T1071.004, T1568]
// maturity: stable
// params:
//   indicators: {type: "list[ip]", required: true, description: indicator IPs (comma-separated)}
//   since: {type: time, default: 0, description: only traffic seen at or after this time}
//   until: {type: time, default: 253402300799, description: only traffic seen at or before this time}
// columns: [host, indicator, indicator_kind, rel, url, touched, hops, first_seen, last_seen, count, bytes_out, telemetry, events, service, degree, users]
MATCH (ip:IP)
WHERE ip.key IN $indicators
MATCH (d:Domain)-[r:RESOLVES_TO]->(ip)
WHERE r.last_seen >= $since AND r.first_seen <= $until
MATCH (h:Host)-[q:QUERIED]->(d)
WHERE q.last_seen >= $since AND q.first_seen <= $until
  AND q.first_seen <= r.last_seen AND r.first_seen <= q.last_seen
WITH h.key AS host, ip, d, q.first_seen AS first_seen, q.last_seen AS last_seen, q.count AS count,
     q.sources AS telemetry, q.events AS events
OPTIONAL MATCH (d)-[:OPERATED_BY]->(w:WebService)
WITH host, ip, d, first_seen, last_seen, count, telemetry, events, coalesce(min(w.key), '') AS service
OPTIONAL MATCH (other:Host)-[:QUERIED]->(d)
WITH host, ip, d, first_seen, last_seen, count, telemetry, events, service, count(DISTINCT other) AS users
RETURN host, ip.key AS indicator, 'IP' AS indicator_kind, 'QUERIED' AS rel, '' AS url, d.key AS touched, 0 AS hops,
       first_seen, last_seen, count, 0 AS bytes_out, telemetry, events, service, coalesce(ip.degree, 0) AS degree, users
ORDER BY host, indicator, touched
