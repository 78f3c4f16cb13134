// id: exposure-certificate
// title: Internal hosts whose TLS sessions were presented an indicator certificate
// description: >
//   A server (IP, or the name the client sent as TLS SNI) presented the indicator certificate
//   (SERVES_CERT from Zeek ssl.log cert_chain_fps / x509.log, Suricata EVE tls fingerprint) while
//   the host had a session to it (CONNECTED_TO, time windows overlapping): the certificate is
//   proof of the server's identity, so this is as strong as the exact domain or IP. degree is how
//   many domains use the IP (0 for a server known by name): a shared IP presenting many
//   certificates is weaker than a dedicated one. users is how many internal hosts reached the server.
// attack: [T1071.001, T1573.002]
// maturity: stable
// params:
//   indicators: {type: "list[str]", required: true, description: SHA-256 (or SHA-1) keys of indicator certificates}
//   since: {type: time, default: 0, description: only traffic seen at or after this time}
//   until: {type: time, default: 253402300799, description: only traffic seen at or before this time}
// columns: [host, indicator, indicator_kind, rel, url, touched, hops, first_seen, last_seen, count, bytes_out, telemetry, events, service, degree, users]
MATCH (c:Certificate)
WHERE c.key IN $indicators
MATCH (s:IP)-[sc:SERVES_CERT]->(c)
WHERE sc.last_seen >= $since AND sc.first_seen <= $until
MATCH (h:Host)-[t:CONNECTED_TO]->(s)
WHERE t.last_seen >= $since AND t.first_seen <= $until
  AND t.first_seen <= sc.last_seen AND sc.first_seen <= t.last_seen
WITH h.key AS host, c, s, t.first_seen AS first_seen, t.last_seen AS last_seen, t.count AS count,
     coalesce(t.bytes_out, 0) AS bytes_out, t.sources AS telemetry, t.events AS events
OPTIONAL MATCH (other:Host)-[:CONNECTED_TO]->(s)
WITH host, c, s, first_seen, last_seen, count, bytes_out, telemetry, events, count(DISTINCT other) AS users
RETURN host, c.key AS indicator, 'Certificate' AS indicator_kind, 'CONNECTED_TO' AS rel, '' AS url, s.key AS touched,
       0 AS hops, first_seen, last_seen, count, bytes_out, telemetry, events, '' AS service, coalesce(s.degree, 0) AS degree,
       users
ORDER BY host, indicator, touched
UNION ALL
MATCH (c:Certificate)
WHERE c.key IN $indicators
MATCH (s:Domain)-[sc:SERVES_CERT]->(c)
WHERE sc.last_seen >= $since AND sc.first_seen <= $until
MATCH (h:Host)-[t:CONNECTED_TO]->(s)
WHERE t.last_seen >= $since AND t.first_seen <= $until
  AND t.first_seen <= sc.last_seen AND sc.first_seen <= t.last_seen
WITH h.key AS host, c, s, t.first_seen AS first_seen, t.last_seen AS last_seen, t.count AS count,
     coalesce(t.bytes_out, 0) AS bytes_out, t.sources AS telemetry, t.events AS events
OPTIONAL MATCH (s)-[:OPERATED_BY]->(w:WebService)
WITH host, c, s, first_seen, last_seen, count, bytes_out, telemetry, events, coalesce(min(w.key), '') AS service
OPTIONAL MATCH (other:Host)-[:CONNECTED_TO]->(s)
WITH host, c, s, first_seen, last_seen, count, bytes_out, telemetry, events, service, count(DISTINCT other) AS users
RETURN host, c.key AS indicator, 'Certificate' AS indicator_kind, 'CONNECTED_TO' AS rel, '' AS url, s.key AS touched,
       0 AS hops, first_seen, last_seen, count, bytes_out, telemetry, events, service, 0 AS degree, users
ORDER BY host, indicator, touched
