// id: hosts-queried
// title: Internal hosts that queried any of the given domains
// description: >
//   Exposure by DNS: which internal hosts resolved one of these domains, when,
//   how often, and which log said so. Feed it the seed plus a pivot's results.
// attack: [T1071.004, T1102]
// maturity: stable
// params:
//   domains: {type: "list[domain]", required: true, description: comma-separated domains}
//   since: {type: time, default: 0, description: only queries seen at or after this time}
//   until: {type: time, default: 253402300799, description: only queries seen at or before this time}
//   limit: {type: int, default: 1000, description: at most this many rows}
// columns: [host, domain, indicator, queries, first_seen, last_seen, sources]
MATCH (h:Host)-[q:QUERIED]->(d:Domain)
WHERE d.key IN $domains AND q.last_seen >= $since AND q.first_seen <= $until
RETURN h.key AS host,
       d.key AS domain,
       coalesce(d.indicator, false) AS indicator,
       q.count AS queries,
       q.first_seen AS first_seen,
       q.last_seen AS last_seen,
       q.sources AS sources
ORDER BY host, domain
LIMIT $limit
