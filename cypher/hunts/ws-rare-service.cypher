// id: ws-rare-service
// title: Hosts using an abused web service that few internal hosts use
// description: >
//   AN2028 / T1102: adversaries run C2 and exfiltration through paste sites, chat webhooks,
//   tunnels and cloud storage that everyone may reach, so the domain alone says little. What
//   stands out is a service that only a handful of internal hosts use. Services come from the
//   web-service catalogue (WebService nodes with an abuse type, OPERATED_BY from their domains);
//   use is DNS (QUERIED) or HTTP (a requested URL on one of the service's domains).
// attack: [T1102, T1567, T1583.006]
// maturity: experimental
// params:
//   max_hosts: {type: int, default: 3, description: report services used by at most this many internal hosts}
//   since: {type: time, default: 0, description: only use seen at or after this time}
//   until: {type: time, default: 253402300799, description: only use seen at or before this time}
//   limit: {type: int, default: 1000, description: at most this many rows}
// columns: [host, service, category, abuse, attack_ids, users, first_seen, last_seen, enterprise_first_seen, first_in_enterprise, requests, bytes_out, domains]
// references:
//   - https://attack.mitre.org/techniques/T1102/
//   - https://attack.mitre.org/techniques/T1583/006/
MATCH (w:WebService)
WHERE size(w.abuse) > 0
OPTIONAL MATCH (h1:Host)-[q1:QUERIED]->(:Domain)-[:OPERATED_BY]->(w)
WHERE q1.last_seen >= $since AND q1.first_seen <= $until
WITH w, collect(DISTINCT h1.key) AS dns_users, min(q1.first_seen) AS dns_first
OPTIONAL MATCH (h2:Host)-[r2:REQUESTED]->(:URL)-[:ON_HOST]->(:Domain)-[:OPERATED_BY]->(w)
WHERE r2.last_seen >= $since AND r2.first_seen <= $until
WITH w, dns_users, dns_first, collect(DISTINCT h2.key) AS http_users, min(r2.first_seen) AS http_first
WITH w, dns_users + http_users AS all_users,
     CASE WHEN http_first IS NULL THEN dns_first WHEN dns_first IS NULL THEN http_first
          WHEN dns_first <= http_first THEN dns_first ELSE http_first END AS enterprise_first_seen
UNWIND all_users AS user
WITH w, enterprise_first_seen, count(DISTINCT user) AS users, collect(DISTINCT user) AS hosts
WHERE users <= $max_hosts
UNWIND hosts AS hk
MATCH (h:Host)
WHERE h.key = hk
OPTIONAL MATCH (h)-[q:QUERIED]->(d:Domain)-[:OPERATED_BY]->(w)
WHERE q.last_seen >= $since AND q.first_seen <= $until
WITH w, users, enterprise_first_seen, h, min(q.first_seen) AS dns_first, max(q.last_seen) AS dns_last,
     collect(DISTINCT d.key) AS dns_domains
OPTIONAL MATCH (h)-[r:REQUESTED]->(:URL)-[:ON_HOST]->(d2:Domain)-[:OPERATED_BY]->(w)
WHERE r.last_seen >= $since AND r.first_seen <= $until
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
ORDER BY users, service, host
LIMIT $limit
