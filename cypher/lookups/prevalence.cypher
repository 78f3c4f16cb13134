// id: prevalence
// title: Internal prevalence - which internal hosts used each domain, registered domain, IP and client fingerprint
// description: >
//   One row per (scope, key, host) for the hosts that used a name (DNS, HTTP Host header or TLS SNI),
//   any name of a registered domain, an address (flows, HTTP by address) or a client fingerprint
//   inside the window. graphpivot exposure counts them against the active population: a name
//   everyone uses is no evidence on its own, a web service only one host uses is worth a look.
// attack: []
// maturity: stable
// params:
//   domains: {type: "list[str]", default: [], description: canonical domain names}
//   registered: {type: "list[str]", default: [], description: registered domains}
//   ips: {type: "list[str]", default: [], description: canonical addresses}
//   fingerprints: {type: "list[str]", default: [], description: client fingerprints as type:value}
//   since: {type: time, default: 0, description: only use at or after this time}
//   until: {type: time, default: 253402300799, description: only use at or before this time}
// columns: [scope, key, host]
MATCH (h:Host)-[q:QUERIED]->(d:Domain)
WHERE d.key IN $domains AND q.last_seen >= $since AND q.first_seen <= $until
RETURN DISTINCT 'domain' AS scope, d.key AS key, h.key AS host
UNION
MATCH (h:Host)-[r:REQUESTED]->(:URL)-[:ON_HOST]->(d:Domain)
WHERE d.key IN $domains AND r.last_seen >= $since AND r.first_seen <= $until
RETURN DISTINCT 'domain' AS scope, d.key AS key, h.key AS host
UNION
MATCH (h:Host)-[c:CONNECTED_TO]->(d:Domain)
WHERE d.key IN $domains AND c.last_seen >= $since AND c.first_seen <= $until
RETURN DISTINCT 'domain' AS scope, d.key AS key, h.key AS host
UNION
MATCH (h:Host)-[q:QUERIED]->(d:Domain)
WHERE d.registered_domain IN $registered AND q.last_seen >= $since AND q.first_seen <= $until
RETURN DISTINCT 'registered' AS scope, d.registered_domain AS key, h.key AS host
UNION
MATCH (h:Host)-[r:REQUESTED]->(:URL)-[:ON_HOST]->(d:Domain)
WHERE d.registered_domain IN $registered AND r.last_seen >= $since AND r.first_seen <= $until
RETURN DISTINCT 'registered' AS scope, d.registered_domain AS key, h.key AS host
UNION
MATCH (h:Host)-[c:CONNECTED_TO]->(ip:IP)
WHERE ip.key IN $ips AND c.last_seen >= $since AND c.first_seen <= $until
RETURN DISTINCT 'ip' AS scope, ip.key AS key, h.key AS host
UNION
MATCH (h:Host)-[r:REQUESTED]->(:URL)-[:ON_HOST]->(ip:IP)
WHERE ip.key IN $ips AND r.last_seen >= $since AND r.first_seen <= $until
RETURN DISTINCT 'ip' AS scope, ip.key AS key, h.key AS host
UNION
MATCH (h:Host)-[u:USED_CLIENT]->(f:Fingerprint)
WHERE f.key IN $fingerprints AND u.last_seen >= $since AND u.first_seen <= $until
RETURN DISTINCT 'fingerprint' AS scope, f.key AS key, h.key AS host
