// id: exposure-domain
// title: Internal hosts that resolved or browsed an indicator domain exactly
// description: >
//   DNS (QUERIED), HTTP (a requested URL whose Host header is the domain) and TLS sessions that named
//   it (CONNECTED_TO the domain: the SNI of Zeek ssl.log or EVE tls). users is how many
//   internal hosts resolved the domain; service names the web service that operates it, if any:
//   a popular web-service domain alone is weak evidence, everyone uses it.
// attack: [T1071.001, T1071.004, T1102]
// maturity: stable
// params:
//   indicators: {type: "list[domain]", required: true, description: indicator domains (comma-separated)}
//   since: {type: time, default: 0, description: only traffic seen at or after this time}
//   until: {type: time, default: 253402300799, description: only traffic seen at or before this time}
// columns: [host, indicator, indicator_kind, rel, url, touched, hops, first_seen, last_seen, count, bytes_out, telemetry, events, service, degree, users]
MATCH (d:Domain)
WHERE d.key IN $indicators
MATCH (h:Host)-[q:QUERIED]->(d)
WHERE q.last_seen >= $since AND q.first_seen <= $until
WITH h.key AS host, d, q.first_seen AS first_seen, q.last_seen AS last_seen, q.count AS count, q.sources AS telemetry, q.events AS events
OPTIONAL MATCH (d)-[:OPERATED_BY]->(w:WebService)
WITH host, d, first_seen, last_seen, count, telemetry, events, coalesce(min(w.key), '') AS service
OPTIONAL MATCH (other:Host)-[:QUERIED]->(d)
WITH host, d, first_seen, last_seen, count, telemetry, events, service, count(DISTINCT other) AS users
RETURN host, d.key AS indicator, 'Domain' AS indicator_kind, 'QUERIED' AS rel, '' AS url, d.key AS touched, 0 AS hops,
       first_seen, last_seen, count, 0 AS bytes_out, telemetry, events, service, 0 AS degree, users
ORDER BY host, indicator
UNION ALL
MATCH (d:Domain)
WHERE d.key IN $indicators
MATCH (h:Host)-[r:REQUESTED]->(u:URL)-[:ON_HOST]->(d)
WHERE r.last_seen >= $since AND r.first_seen <= $until
WITH h.key AS host, d, u.key AS url, r.first_seen AS first_seen, r.last_seen AS last_seen, r.count AS count,
     coalesce(r.bytes_out, 0) AS bytes_out, r.sources AS telemetry, r.events AS events
OPTIONAL MATCH (d)-[:OPERATED_BY]->(w:WebService)
WITH host, d, url, first_seen, last_seen, count, bytes_out, telemetry, events, coalesce(min(w.key), '') AS service
OPTIONAL MATCH (other:Host)-[:QUERIED]->(d)
WITH host, d, url, first_seen, last_seen, count, bytes_out, telemetry, events, service, count(DISTINCT other) AS users
RETURN host, d.key AS indicator, 'Domain' AS indicator_kind, 'REQUESTED' AS rel, url, d.key AS touched, 0 AS hops,
       first_seen, last_seen, count, bytes_out, telemetry, events, service, 0 AS degree, users
ORDER BY host, indicator, url
UNION ALL
MATCH (d:Domain)
WHERE d.key IN $indicators
MATCH (h:Host)-[c:CONNECTED_TO]->(d)
WHERE c.last_seen >= $since AND c.first_seen <= $until
WITH h.key AS host, d, c.first_seen AS first_seen, c.last_seen AS last_seen, c.count AS count,
     coalesce(c.bytes_out, 0) AS bytes_out, c.sources AS telemetry, c.events AS events
OPTIONAL MATCH (d)-[:OPERATED_BY]->(w:WebService)
WITH host, d, first_seen, last_seen, count, bytes_out, telemetry, events, coalesce(min(w.key), '') AS service
OPTIONAL MATCH (other:Host)-[:QUERIED]->(d)
WITH host, d, first_seen, last_seen, count, bytes_out, telemetry, events, service, count(DISTINCT other) AS users
RETURN host, d.key AS indicator, 'Domain' AS indicator_kind, 'CONNECTED_TO' AS rel, '' AS url, d.key AS touched,
       0 AS hops, first_seen, last_seen, count, bytes_out, telemetry, events, service, 0 AS degree, users
ORDER BY host, indicator
