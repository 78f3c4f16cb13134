// id: exposure-url
// title: Internal hosts that requested an indicator URL exactly
// description: >
//   The strongest web evidence: a proxy or HTTP log shows the host fetching the very URL
//   that intel names (a paste, webhook, bot API, payload or C2 path), not just its site.
//   Rows share the columns of every exposure-* hunt, so graphpivot exposure grades them together.
// attack: [T1071.001, T1102, T1105]
// maturity: stable
// params:
//   indicators: {type: "list[url]", required: true, description: indicator URLs (comma-separated)}
//   since: {type: time, default: 0, description: only requests seen at or after this time}
//   until: {type: time, default: 253402300799, description: only requests seen at or before this time}
//   limit: {type: int, default: 100000, description: at most this many rows}
// columns: [host, indicator, indicator_kind, rel, url, touched, hops, first_seen, last_seen, count, bytes_out, telemetry, events, service, degree, users]
MATCH (u:URL)
WHERE u.key IN $indicators
MATCH (h:Host)-[r:REQUESTED]->(u)
WHERE r.last_seen >= $since AND r.first_seen <= $until
RETURN h.key AS host,
       u.key AS indicator,
       'URL' AS indicator_kind,
       'REQUESTED' AS rel,
       u.key AS url,
       u.key AS touched,
       0 AS hops,
       r.first_seen AS first_seen,
       r.last_seen AS last_seen,
       r.count AS count,
       coalesce(r.bytes_out, 0) AS bytes_out,
       r.sources AS telemetry, r.events AS events,
       '' AS service,
       0 AS degree,
       0 AS users
ORDER BY host, indicator
LIMIT $limit
