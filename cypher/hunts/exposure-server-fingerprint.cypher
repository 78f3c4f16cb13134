// id: exposure-server-fingerprint
// title: Internal hosts that reached a server with an indicator server fingerprint (JA3S, JA4S, JARM)
// description: >
//   A server (IP, or the TLS SNI name) HAS_FINGERPRINT the indicator while the host had a session
//   to it (time windows overlapping; a JARM comes from a scan, so any session counts). Server
//   fingerprints describe a TLS stack and its configuration, shared by every server that runs it:
//   degree is how many servers show the fingerprint, so a dedicated one weighs more. users is how
//   many internal hosts reached the server.
// attack: [T1071.001, T1573.002]
// maturity: stable
// params:
//   indicators: {type: "list[str]", required: true, description: "server fingerprints as type:value (ja3s:..., ja4s:..., jarm:...)"}
//   since: {type: time, default: 0, description: only traffic seen at or after this time}
//   until: {type: time, default: 253402300799, description: only traffic seen at or before this time}
// columns: [host, indicator, indicator_kind, rel, url, touched, hops, first_seen, last_seen, count, bytes_out, telemetry, events, service, degree, users]
MATCH (f:Fingerprint)
WHERE f.key IN $indicators
MATCH (s:IP)-[hf:HAS_FINGERPRINT]->(f)
MATCH (h:Host)-[t:CONNECTED_TO]->(s)
WHERE t.last_seen >= $since AND t.first_seen <= $until
  AND (f.fp_type = 'jarm' OR (t.first_seen <= hf.last_seen AND hf.first_seen <= t.last_seen))
WITH h.key AS host, f, s, t.first_seen AS first_seen, t.last_seen AS last_seen, t.count AS count,
     coalesce(t.bytes_out, 0) AS bytes_out, t.sources AS telemetry, t.events AS events
OPTIONAL MATCH (other:Host)-[:CONNECTED_TO]->(s)
WITH host, f, s, first_seen, last_seen, count, bytes_out, telemetry, events, count(DISTINCT other) AS users
RETURN host, f.key AS indicator, 'Fingerprint' AS indicator_kind, 'CONNECTED_TO' AS rel, '' AS url, s.key AS touched,
       0 AS hops, first_seen, last_seen, count, bytes_out, telemetry, events, '' AS service, coalesce(f.degree, 0) AS degree,
       users
ORDER BY host, indicator, touched
UNION ALL
MATCH (f:Fingerprint)
WHERE f.key IN $indicators
MATCH (s:Domain)-[hf:HAS_FINGERPRINT]->(f)
MATCH (h:Host)-[t:CONNECTED_TO]->(s)
WHERE t.last_seen >= $since AND t.first_seen <= $until
  AND (f.fp_type = 'jarm' OR (t.first_seen <= hf.last_seen AND hf.first_seen <= t.last_seen))
WITH h.key AS host, f, s, t.first_seen AS first_seen, t.last_seen AS last_seen, t.count AS count,
     coalesce(t.bytes_out, 0) AS bytes_out, t.sources AS telemetry, t.events AS events
OPTIONAL MATCH (s)-[:OPERATED_BY]->(w:WebService)
WITH host, f, s, first_seen, last_seen, count, bytes_out, telemetry, events, coalesce(min(w.key), '') AS service
OPTIONAL MATCH (other:Host)-[:CONNECTED_TO]->(s)
WITH host, f, s, first_seen, last_seen, count, bytes_out, telemetry, events, service, count(DISTINCT other) AS users
RETURN host, f.key AS indicator, 'Fingerprint' AS indicator_kind, 'CONNECTED_TO' AS rel, '' AS url, s.key AS touched,
       0 AS hops, first_seen, last_seen, count, bytes_out, telemetry, events, service, coalesce(f.degree, 0) AS degree, users
ORDER BY host, indicator, touched
