// id: hosts-requested
// title: Internal hosts that requested URLs on any of the given domains
// description: >
//   Exposure by web requests (Zeek/Suricata HTTP, proxy logs, CONNECT tunnels):
//   which internal hosts fetched URLs on these domains, how many distinct URLs and
//   requests, the methods and statuses seen, when, and which logs said so. Feed it
//   the seed plus a pivot's results; hosts-queried is the DNS counterpart.
// attack: [T1071.001]
// maturity: stable
// params:
//   domains: {type: "list[domain]", required: true, description: comma-separated domains (exact names)}
//   since: {type: time, default: 0, description: only requests seen at or after this time}
//   until: {type: time, default: 253402300799, description: only requests seen at or before this time}
//   limit: {type: int, default: 1000, description: at most this many rows}
// columns: [host, domain, indicator, urls, requests, first_seen, last_seen, sources]
MATCH (h:Host)-[r:REQUESTED]->(u:URL)-[:ON_HOST]->(d:Domain)
WHERE d.key IN $domains AND r.last_seen >= $since AND r.first_seen <= $until
WITH h, d, count(DISTINCT u) AS urls, sum(r.count) AS requests,
     min(r.first_seen) AS first_seen, max(r.last_seen) AS last_seen
MATCH (h)-[r2:REQUESTED]->(:URL)-[:ON_HOST]->(d)
WHERE r2.last_seen >= $since AND r2.first_seen <= $until
UNWIND r2.sources AS source
WITH h, d, urls, requests, first_seen, last_seen, collect(DISTINCT source) AS sources
RETURN h.key AS host,
       d.key AS domain,
       coalesce(d.indicator, false) AS indicator,
       urls,
       requests,
       first_seen,
       last_seen,
       sources
ORDER BY host, domain
LIMIT $limit
