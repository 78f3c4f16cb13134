// id: ws-first-seen
// title: Hosts that started using an abused web service inside the hunt window
// description: >
//   AN2028 / T1102: a host that never used a paste site, tunnel or webhook service and starts to
//   during the window (since..until) is worth a look; first_in_enterprise says it is the first
//   internal host ever seen on that service. Use before the window counts, so the whole
//   telemetry history is read; since and until only select when the first use happened.
// attack: [T1102, T1567, T1583.006]
// maturity: experimental
// params:
//   since: {type: time, default: 0, description: first use at or after this time}
//   until: {type: time, default: 253402300799, description: first use at or before this time}
//   limit: {type: int, default: 1000, description: at most this many rows}
// columns: [host, service, category, abuse, attack_ids, users, first_seen, last_seen, enterprise_first_seen, first_in_enterprise, requests, bytes_out, domains]
// references:
//   - https://attack.mitre.org/techniques/T1102/
//   - https://attack.mitre.org/techniques/T1583/006/
MATCH (w:WebService)
WHERE size(w.abuse) > 0
OPTIONAL MATCH (h1:Host)-[q1:QUERIED]->(:Domain)-[:OPERATED_BY]->(w)
WITH w, collect(DISTINCT h1.key) AS dns_users, min(q1.first_seen) AS dns_first
OPTIONAL MATCH (h2:Host)-[r2:REQUESTED]->(:URL)-[:ON_HOST]->(:Domain)-[:OPERATED_BY]->(w)
WITH w, dns_users, dns_first, collect(DISTINCT h2.key) AS http_users, min(r2.first_seen) AS http_first
WITH w, dns_users + http_users AS all_users,
     CASE WHEN http_first IS NULL THEN dns_first WHEN dns_first IS NULL THEN http_first
          WHEN dns_first <= http_first THEN dns_first ELSE http_first END AS enterprise_first_seen
UNWIND all_users AS user
WITH w, enterprise_first_seen, count(DISTINCT user) AS users, collect(DISTINCT user) AS hosts
UNWIND hosts AS hk
MATCH (h:Host)
WHERE h.key = hk
OPTIONAL MATCH (h)-[q:QUERIED]->(d:Domain)-[:OPERATED_BY]->(w)
WITH w, users, enterprise_first_seen, h, min(q.first_seen) AS dns_first, max(q.last_seen) AS dns_last,
     collect(DISTINCT d.key) AS dns_domains
OPTIONAL MATCH (h)-[r:REQUESTED]->(:URL)-[:ON_HOST]->(d2:Domain)-[:OPERATED_BY]->(w)
WITH w, users, enterprise_first_seen, h, dns_first, dns_last, dns_domains, min(r.first_seen) AS http_first,
     max(r.last_seen) AS http_last, count(r) AS requests, sum(coalesce(r.bytes_out, 0)) AS bytes_out,
     collect(DISTINCT d2.key) AS http_domains
WITH w, users, enterprise_first_seen, h, requests, bytes_out, dns_domains + http_domains AS both_domains,
     CASE WHEN http_first IS NULL THEN dns_first WHEN dns_first IS NULL THEN http_first
          WHEN dns_first <= http_first THEN dns_first ELSE http_first END AS first_seen,
     CASE WHEN http_last IS NULL THEN dns_last WHEN dns_last IS NULL THEN http_last
          WHEN dns_last >= http_last THEN dns_last ELSE http_last END AS last_seen
UNWIND both_domains AS domain
WITH w, users, enterprise_first_seen, h, requests, bytes_out, first_seen, last_seen, collect(DISTINCT domain) AS domains
WHERE first_seen >= $since AND first_seen <= $until
RETURN h.key AS host,
       w.key AS service,
       w.category AS category,
       w.abuse AS abuse,
       w.attack_ids AS attack_ids,
       users,
       first_seen,
       last_seen,
       enterprise_first_seen,
       first_seen = enterprise_first_seen AS first_in_enterprise,
       requests,
       bytes_out,
       domains
ORDER BY first_in_enterprise DESC, first_seen DESC, service, host
LIMIT $limit
