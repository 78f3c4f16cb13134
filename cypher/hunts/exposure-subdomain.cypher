// id: exposure-subdomain
// title: Internal hosts that resolved or browsed a name under an indicator domain
// description: >
//   Names one to three labels below an indicator (h1.wensa.at under wensa.at; a dynamic-DNS
//   name under myftp.biz), reached over the SUBDOMAIN_OF chain that ingest builds, in fixed
//   hops. hops says how far below the indicator the name is. DNS (QUERIED) and HTTP (a
//   requested URL whose Host header is the name). Weaker than an exact match: the parent may
//   host unrelated tenants (service says when it is a known web service).
// attack: [T1071.001, T1071.004, T1568, T1583.001]
// maturity: stable
// params:
//   indicators: {type: "list[domain]", required: true, description: indicator domains (comma-separated)}
//   since: {type: time, default: 0, description: only traffic seen at or after this time}
//   until: {type: time, default: 253402300799, description: only traffic seen at or before this time}
// columns: [host, indicator, indicator_kind, rel, url, touched, hops, first_seen, last_seen, count, bytes_out, telemetry, events, service, degree, users]
MATCH (i:Domain)
WHERE i.key IN $indicators
MATCH (d:Domain)-[:SUBDOMAIN_OF]->(i)
MATCH (h:Host)-[q:QUERIED]->(d)
WHERE q.last_seen >= $since AND q.first_seen <= $until
WITH h.key AS host, i.key AS indicator, d, q.first_seen AS first_seen, q.last_seen AS last_seen, q.count AS count,
     q.sources AS telemetry, q.events AS events
OPTIONAL MATCH (d)-[:OPERATED_BY]->(w:WebService)
WITH host, indicator, d, first_seen, last_seen, count, telemetry, events, coalesce(min(w.key), '') AS service
OPTIONAL MATCH (other:Host)-[:QUERIED]->(d)
WITH host, indicator, d, first_seen, last_seen, count, telemetry, events, service, count(DISTINCT other) AS users
RETURN host, indicator, 'Domain' AS indicator_kind, 'QUERIED' AS rel, '' AS url, d.key AS touched, 1 AS hops,
       first_seen, last_seen, count, 0 AS bytes_out, telemetry, events, service, 0 AS degree, users
ORDER BY host, indicator, touched
UNION ALL
MATCH (i:Domain)
WHERE i.key IN $indicators
MATCH (d:Domain)-[:SUBDOMAIN_OF]->(i)
MATCH (h:Host)-[r:REQUESTED]->(u:URL)-[:ON_HOST]->(d)
WHERE r.last_seen >= $since AND r.first_seen <= $until
WITH h.key AS host, i.key AS indicator, d, u.key AS url, r.first_seen AS first_seen, r.last_seen AS last_seen,
     r.count AS count, coalesce(r.bytes_out, 0) AS bytes_out, r.sources AS telemetry, r.events AS events
OPTIONAL MATCH (d)-[:OPERATED_BY]->(w:WebService)
WITH host, indicator, d, url, first_seen, last_seen, count, bytes_out, telemetry, events, coalesce(min(w.key), '') AS service
OPTIONAL MATCH (other:Host)-[:QUERIED]->(d)
WITH host, indicator, d, url, first_seen, last_seen, count, bytes_out, telemetry, events, service, count(DISTINCT other) AS users
RETURN host, indicator, 'Domain' AS indicator_kind, 'REQUESTED' AS rel, url, d.key AS touched, 1 AS hops,
       first_seen, last_seen, count, bytes_out, telemetry, events, service, 0 AS degree, users
ORDER BY host, indicator, touched, url
UNION ALL
MATCH (i:Domain)
WHERE i.key IN $indicators
MATCH (d:Domain)-[:SUBDOMAIN_OF]->(:Domain)-[:SUBDOMAIN_OF]->(i)
MATCH (h:Host)-[q:QUERIED]->(d)
WHERE q.last_seen >= $since AND q.first_seen <= $until
WITH h.key AS host, i.key AS indicator, d, q.first_seen AS first_seen, q.last_seen AS last_seen, q.count AS count,
     q.sources AS telemetry, q.events AS events
OPTIONAL MATCH (d)-[:OPERATED_BY]->(w:WebService)
WITH host, indicator, d, first_seen, last_seen, count, telemetry, events, coalesce(min(w.key), '') AS service
OPTIONAL MATCH (other:Host)-[:QUERIED]->(d)
WITH host, indicator, d, first_seen, last_seen, count, telemetry, events, service, count(DISTINCT other) AS users
RETURN host, indicator, 'Domain' AS indicator_kind, 'QUERIED' AS rel, '' AS url, d.key AS touched, 2 AS hops,
       first_seen, last_seen, count, 0 AS bytes_out, telemetry, events, service, 0 AS degree, users
ORDER BY host, indicator, touched
UNION ALL
MATCH (i:Domain)
WHERE i.key IN $indicators
MATCH (d:Domain)-[:SUBDOMAIN_OF]->(:Domain)-[:SUBDOMAIN_OF]->(i)
MATCH (h:Host)-[r:REQUESTED]->(u:URL)-[:ON_HOST]->(d)
WHERE r.last_seen >= $since AND r.first_seen <= $until
WITH h.key AS host, i.key AS indicator, d, u.key AS url, r.first_seen AS first_seen, r.last_seen AS last_seen,
     r.count AS count, coalesce(r.bytes_out, 0) AS bytes_out, r.sources AS telemetry, r.events AS events
OPTIONAL MATCH (d)-[:OPERATED_BY]->(w:WebService)
WITH host, indicator, d, url, first_seen, last_seen, count, bytes_out, telemetry, events, coalesce(min(w.key), '') AS service
OPTIONAL MATCH (other:Host)-[:QUERIED]->(d)
WITH host, indicator, d, url, first_seen, last_seen, count, bytes_out, telemetry, events, service, count(DISTINCT other) AS users
RETURN host, indicator, 'Domain' AS indicator_kind, 'REQUESTED' AS rel, url, d.key AS touched, 2 AS hops,
       first_seen, last_seen, count, bytes_out, telemetry, events, service, 0 AS degree, users
ORDER BY host, indicator, touched, url
UNION ALL
MATCH (i:Domain)
WHERE i.key IN $indicators
MATCH (d:Domain)-[:SUBDOMAIN_OF]->(:Domain)-[:SUBDOMAIN_OF]->(:Domain)-[:SUBDOMAIN_OF]->(i)
MATCH (h:Host)-[q:QUERIED]->(d)
WHERE q.last_seen >= $since AND q.first_seen <= $until
WITH h.key AS host, i.key AS indicator, d, q.first_seen AS first_seen, q.last_seen AS last_seen, q.count AS count,
     q.sources AS telemetry, q.events AS events
OPTIONAL MATCH (d)-[:OPERATED_BY]->(w:WebService)
WITH host, indicator, d, first_seen, last_seen, count, telemetry, events, coalesce(min(w.key), '') AS service
OPTIONAL MATCH (other:Host)-[:QUERIED]->(d)
WITH host, indicator, d, first_seen, last_seen, count, telemetry, events, service, count(DISTINCT other) AS users
RETURN host, indicator, 'Domain' AS indicator_kind, 'QUERIED' AS rel, '' AS url, d.key AS touched, 3 AS hops,
       first_seen, last_seen, count, 0 AS bytes_out, telemetry, events, service, 0 AS degree, users
ORDER BY host, indicator, touched
UNION ALL
MATCH (i:Domain)
WHERE i.key IN $indicators
MATCH (d:Domain)-[:SUBDOMAIN_OF]->(:Domain)-[:SUBDOMAIN_OF]->(:Domain)-[:SUBDOMAIN_OF]->(i)
MATCH (h:Host)-[r:REQUESTED]->(u:URL)-[:ON_HOST]->(d)
WHERE r.last_seen >= $since AND r.first_seen <= $until
WITH h.key AS host, i.key AS indicator, d, u.key AS url, r.first_seen AS first_seen, r.last_seen AS last_seen,
     r.count AS count, coalesce(r.bytes_out, 0) AS bytes_out, r.sources AS telemetry, r.events AS events
OPTIONAL MATCH (d)-[:OPERATED_BY]->(w:WebService)
WITH host, indicator, d, url, first_seen, last_seen, count, bytes_out, telemetry, events, coalesce(min(w.key), '') AS service
OPTIONAL MATCH (other:Host)-[:QUERIED]->(d)
WITH host, indicator, d, url, first_seen, last_seen, count, bytes_out, telemetry, events, service, count(DISTINCT other) AS users
RETURN host, indicator, 'Domain' AS indicator_kind, 'REQUESTED' AS rel, url, d.key AS touched, 3 AS hops,
       first_seen, last_seen, count, bytes_out, telemetry, events, service, 0 AS degree, users
ORDER BY host, indicator, touched, url
