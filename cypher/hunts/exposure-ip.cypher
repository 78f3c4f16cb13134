// id: exposure-ip
// title: Internal hosts that connected to an indicator IP, or browsed it by address
// description: >
//   Flows (CONNECTED_TO, with bytes out) and HTTP requests whose Host header is the IP itself
//   (malware often skips DNS). degree is how many domains resolve to the IP: an indicator IP on
//   shared hosting or a CDN is weaker evidence than a dedicated server. users is how many
//   internal hosts connected to it.
// attack: [T1071.001, T1095, T1571]
// maturity: stable
// params:
//   indicators: {type: "list[ip]", required: true, description: indicator IPs (comma-separated)}
//   since: {type: time, default: 0, description: only traffic seen at or after this time}
//   until: {type: time, default: 253402300799, description: only traffic seen at or before this time}
// columns: [host, indicator, indicator_kind, rel, url, touched, hops, first_seen, last_seen, count, bytes_out, telemetry, events, service, degree, users]
MATCH (ip:IP)
WHERE ip.key IN $indicators
MATCH (h:Host)-[c:CONNECTED_TO]->(ip)
WHERE c.last_seen >= $since AND c.first_seen <= $until
WITH h.key AS host, ip, c.first_seen AS first_seen, c.last_seen AS last_seen, c.count AS count,
     coalesce(c.bytes_out, 0) AS bytes_out, c.sources AS telemetry, c.events AS events
OPTIONAL MATCH (other:Host)-[:CONNECTED_TO]->(ip)
WITH host, ip, first_seen, last_seen, count, bytes_out, telemetry, events, count(DISTINCT other) AS users
RETURN host, ip.key AS indicator, 'IP' AS indicator_kind, 'CONNECTED_TO' AS rel, '' AS url, ip.key AS touched, 0 AS hops,
       first_seen, last_seen, count, bytes_out, telemetry, events, '' AS service, coalesce(ip.degree, 0) AS degree, users
ORDER BY host, indicator
UNION ALL
MATCH (ip:IP)
WHERE ip.key IN $indicators
MATCH (h:Host)-[r:REQUESTED]->(u:URL)-[:ON_HOST]->(ip)
WHERE r.last_seen >= $since AND r.first_seen <= $until
WITH h.key AS host, ip, u.key AS url, r.first_seen AS first_seen, r.last_seen AS last_seen, r.count AS count,
     coalesce(r.bytes_out, 0) AS bytes_out, r.sources AS telemetry, r.events AS events
OPTIONAL MATCH (other:Host)-[:CONNECTED_TO]->(ip)
WITH host, ip, url, first_seen, last_seen, count, bytes_out, telemetry, events, count(DISTINCT other) AS users
RETURN host, ip.key AS indicator, 'IP' AS indicator_kind, 'REQUESTED' AS rel, url, ip.key AS touched, 0 AS hops,
       first_seen, last_seen, count, bytes_out, telemetry, events, '' AS service, coalesce(ip.degree, 0) AS degree, users
ORDER BY host, indicator, url
