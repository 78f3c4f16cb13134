// id: ws-c2-client
// title: Hosts whose TLS client fingerprint is known for C2, with the web services they used meanwhile
// description: >
//   AN2028 / T1102: "look for unique characteristics of adversary software". A JA3/JA4 client
//   fingerprint that intel ties to a C2 tool or malware (ATTRIBUTED_TO a Threat, or flagged as
//   an indicator), seen on an internal host, with the abused web services that host resolved
//   while the client was active. Common fingerprints collide with benign software: users (how
//   many internal hosts show the fingerprint) tells a rare match from a library default.
// attack: [T1102, T1071.001, T1573.002]
// maturity: experimental
// params:
//   tolerance: {type: int, default: 3600, description: seconds of slack when matching web-service use to the client}
//   since: {type: time, default: 0, description: only uses seen at or after this time}
//   until: {type: time, default: 253402300799, description: only uses seen at or before this time}
//   limit: {type: int, default: 1000, description: at most this many rows}
// columns: [host, fingerprint, threats, users, first_seen, last_seen, count, services, telemetry]
// references:
//   - https://attack.mitre.org/techniques/T1102/
MATCH (:Host)-[:USED_CLIENT]->(f:Fingerprint)
WITH DISTINCT f
OPTIONAL MATCH (f)-[:ATTRIBUTED_TO]->(t:Threat)
WITH f, collect(DISTINCT t.key) AS threats
WHERE size(threats) > 0 OR f.indicator = true
MATCH (other:Host)-[:USED_CLIENT]->(f)
WITH f, threats, count(DISTINCT other) AS users
MATCH (h:Host)-[c:USED_CLIENT]->(f)
WHERE c.last_seen >= $since AND c.first_seen <= $until
OPTIONAL MATCH (h)-[q:QUERIED]->(:Domain)-[:OPERATED_BY]->(w:WebService)
WHERE q.first_seen <= c.last_seen + $tolerance AND c.first_seen <= q.last_seen + $tolerance
WITH h, f, threats, users, c.first_seen AS first_seen, c.last_seen AS last_seen, c.count AS count,
     c.sources AS telemetry, collect(DISTINCT w.key) AS services
RETURN h.key AS host, f.key AS fingerprint, threats, users, first_seen, last_seen, count, services, telemetry
ORDER BY users, host, fingerprint
LIMIT $limit
