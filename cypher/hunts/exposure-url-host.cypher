// id: exposure-url-host
// title: Internal hosts that reached the site of an indicator URL, but not the URL itself
// description: >
//   Intel often names a URL (a paste, a webhook, a payload path). A host that resolved its site,
//   opened a TLS session naming it (SNI), connected to its IP, or fetched another page there,
//   may or may not have fetched the URL
//   (TLS hides paths from flow and DNS logs). When the site is a popular web service (service
//   is set) this is the weakest evidence there is; otherwise the site may still be a
//   compromised legitimate one. users is how many internal hosts reached the site.
// attack: [T1071.001, T1102, T1105]
// maturity: stable
// params:
//   indicators: {type: "list[url]", required: true, description: indicator URLs (comma-separated)}
//   since: {type: time, default: 0, description: only traffic seen at or after this time}
//   until: {type: time, default: 253402300799, description: only traffic seen at or before this time}
// columns: [host, indicator, indicator_kind, rel, url, touched, hops, first_seen, last_seen, count, bytes_out, telemetry, service, degree, users]
MATCH (u:URL)
WHERE u.key IN $indicators
MATCH (u)-[:ON_HOST]->(d:Domain)
MATCH (h:Host)-[q:QUERIED]->(d)
WHERE q.last_seen >= $since AND q.first_seen <= $until
WITH h.key AS host, u.key AS indicator, d, q.first_seen AS first_seen, q.last_seen AS last_seen, q.count AS count,
     q.sources AS telemetry
OPTIONAL MATCH (d)-[:OPERATED_BY]->(w:WebService)
WITH host, indicator, d, first_seen, last_seen, count, telemetry, coalesce(min(w.key), '') AS service
OPTIONAL MATCH (other:Host)-[:QUERIED]->(d)
WITH host, indicator, d, first_seen, last_seen, count, telemetry, service, count(DISTINCT other) AS users
RETURN host, indicator, 'URL' AS indicator_kind, 'QUERIED' AS rel, '' AS url, d.key AS touched, 0 AS hops,
       first_seen, last_seen, count, 0 AS bytes_out, telemetry, service, 0 AS degree, users
ORDER BY host, indicator
UNION ALL
MATCH (u:URL)
WHERE u.key IN $indicators
MATCH (u)-[:ON_HOST]->(d:Domain)
MATCH (h:Host)-[r:REQUESTED]->(v:URL)-[:ON_HOST]->(d)
WHERE v.key <> u.key AND r.last_seen >= $since AND r.first_seen <= $until
WITH h.key AS host, u.key AS indicator, d, v.key AS url, r.first_seen AS first_seen, r.last_seen AS last_seen,
     r.count AS count, coalesce(r.bytes_out, 0) AS bytes_out, r.sources AS telemetry
OPTIONAL MATCH (d)-[:OPERATED_BY]->(w:WebService)
WITH host, indicator, d, url, first_seen, last_seen, count, bytes_out, telemetry, coalesce(min(w.key), '') AS service
OPTIONAL MATCH (other:Host)-[:QUERIED]->(d)
WITH host, indicator, d, url, first_seen, last_seen, count, bytes_out, telemetry, service, count(DISTINCT other) AS users
RETURN host, indicator, 'URL' AS indicator_kind, 'REQUESTED' AS rel, url, d.key AS touched, 0 AS hops,
       first_seen, last_seen, count, bytes_out, telemetry, service, 0 AS degree, users
ORDER BY host, indicator, url
UNION ALL
MATCH (u:URL)
WHERE u.key IN $indicators
MATCH (u)-[:ON_HOST]->(ip:IP)
MATCH (h:Host)-[c:CONNECTED_TO]->(ip)
WHERE c.last_seen >= $since AND c.first_seen <= $until
WITH h.key AS host, u.key AS indicator, ip, c.first_seen AS first_seen, c.last_seen AS last_seen, c.count AS count,
     coalesce(c.bytes_out, 0) AS bytes_out, c.sources AS telemetry
OPTIONAL MATCH (other:Host)-[:CONNECTED_TO]->(ip)
WITH host, indicator, ip, first_seen, last_seen, count, bytes_out, telemetry, count(DISTINCT other) AS users
RETURN host, indicator, 'URL' AS indicator_kind, 'CONNECTED_TO' AS rel, '' AS url, ip.key AS touched, 0 AS hops,
       first_seen, last_seen, count, bytes_out, telemetry, '' AS service, coalesce(ip.degree, 0) AS degree, users
ORDER BY host, indicator
UNION ALL
MATCH (u:URL)
WHERE u.key IN $indicators
MATCH (u)-[:ON_HOST]->(ip:IP)
MATCH (h:Host)-[r:REQUESTED]->(v:URL)-[:ON_HOST]->(ip)
WHERE v.key <> u.key AND r.last_seen >= $since AND r.first_seen <= $until
WITH h.key AS host, u.key AS indicator, ip, v.key AS url, r.first_seen AS first_seen, r.last_seen AS last_seen,
     r.count AS count, coalesce(r.bytes_out, 0) AS bytes_out, r.sources AS telemetry
OPTIONAL MATCH (other:Host)-[:CONNECTED_TO]->(ip)
WITH host, indicator, ip, url, first_seen, last_seen, count, bytes_out, telemetry, count(DISTINCT other) AS users
RETURN host, indicator, 'URL' AS indicator_kind, 'REQUESTED' AS rel, url, ip.key AS touched, 0 AS hops,
       first_seen, last_seen, count, bytes_out, telemetry, '' AS service, coalesce(ip.degree, 0) AS degree, users
ORDER BY host, indicator, url
UNION ALL
MATCH (u:URL)
WHERE u.key IN $indicators
MATCH (u)-[:ON_HOST]->(d:Domain)
MATCH (h:Host)-[c:CONNECTED_TO]->(d)
WHERE c.last_seen >= $since AND c.first_seen <= $until
WITH h.key AS host, u.key AS indicator, d, c.first_seen AS first_seen, c.last_seen AS last_seen, c.count AS count,
     coalesce(c.bytes_out, 0) AS bytes_out, c.sources AS telemetry
OPTIONAL MATCH (d)-[:OPERATED_BY]->(w:WebService)
WITH host, indicator, d, first_seen, last_seen, count, bytes_out, telemetry, coalesce(min(w.key), '') AS service
OPTIONAL MATCH (other:Host)-[:QUERIED]->(d)
WITH host, indicator, d, first_seen, last_seen, count, bytes_out, telemetry, service, count(DISTINCT other) AS users
RETURN host, indicator, 'URL' AS indicator_kind, 'CONNECTED_TO' AS rel, '' AS url, d.key AS touched, 0 AS hops,
       first_seen, last_seen, count, bytes_out, telemetry, service, 0 AS degree, users
ORDER BY host, indicator
