// id: blind-spots-time
// title: Telemetry coverage over time, per channel and source
// description: >
//   Which buckets of time (a day by default) each telemetry channel covers, per source: one
//   row per distinct span (first_bucket..last_bucket) of the aggregated edges. The channels are
//   DNS, HTTP/proxy, flows and TLS clients as network, DNS-server, flow and proxy sensors saw
//   them, and endpoint telemetry (edges whose sensors include 'endpoint': Sysmon's DNS and
//   connections). graphpivot hunt merges the spans and reports the gaps: windows in which a host
//   could have touched indicator infrastructure without any log to say so. Edges are aggregates,
//   so a span is covered when at least one edge's first..last seen spans it: coverage is an
//   upper bound.
// attack: []
// maturity: stable
// params:
//   bucket: {type: int, default: 86400, description: bucket width in seconds}
//   since: {type: time, default: 0, description: only telemetry seen at or after this time}
//   until: {type: time, default: 253402300799, description: only telemetry seen at or before this time}
// columns: [channel, source, first_bucket, last_bucket]
MATCH (:Host)-[q:QUERIED]->(:Domain)
WHERE q.last_seen >= $since AND q.first_seen <= $until
  AND (q.sensors IS NULL OR NOT 'endpoint' IN q.sensors OR size(q.sensors) > 1)
UNWIND q.sources AS source
RETURN DISTINCT 'dns' AS channel, source, q.first_seen / $bucket AS first_bucket, q.last_seen / $bucket AS last_bucket
UNION ALL
MATCH (:Host)-[r:REQUESTED]->(:URL)
WHERE r.last_seen >= $since AND r.first_seen <= $until
  AND (r.sensors IS NULL OR NOT 'endpoint' IN r.sensors OR size(r.sensors) > 1)
UNWIND r.sources AS source
RETURN DISTINCT 'http' AS channel, source, r.first_seen / $bucket AS first_bucket, r.last_seen / $bucket AS last_bucket
UNION ALL
MATCH (:Host)-[c:CONNECTED_TO]->(:IP)
WHERE c.last_seen >= $since AND c.first_seen <= $until
  AND (c.sensors IS NULL OR NOT 'endpoint' IN c.sensors OR size(c.sensors) > 1)
UNWIND c.sources AS source
RETURN DISTINCT 'flow' AS channel, source, c.first_seen / $bucket AS first_bucket, c.last_seen / $bucket AS last_bucket
UNION ALL
MATCH (:Host)-[t:USED_CLIENT]->(:Fingerprint)
WHERE t.last_seen >= $since AND t.first_seen <= $until
  AND (t.sensors IS NULL OR NOT 'endpoint' IN t.sensors OR size(t.sensors) > 1)
UNWIND t.sources AS source
RETURN DISTINCT 'tls' AS channel, source, t.first_seen / $bucket AS first_bucket, t.last_seen / $bucket AS last_bucket
UNION ALL
MATCH (:Host)-[e:QUERIED|CONNECTED_TO|REQUESTED|USED_CLIENT]->()
WHERE e.last_seen >= $since AND e.first_seen <= $until AND 'endpoint' IN e.sensors
UNWIND e.sources AS source
RETURN DISTINCT 'endpoint' AS channel, source, e.first_seen / $bucket AS first_bucket,
       e.last_seen / $bucket AS last_bucket
