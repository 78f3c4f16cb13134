// id: blind-spots-hosts
// title: Per internal host, which telemetry the graph holds (DNS, HTTP/proxy, flows, TLS clients, endpoint)
// description: >
//   A hunt can only clear a host it can see. For every Host: how many DNS (QUERIED),
//   HTTP/proxy (REQUESTED), flow (CONNECTED_TO) and TLS client (USED_CLIENT) edges network,
//   DNS-server, flow and proxy sensors saw in the window, how many edges endpoint telemetry
//   (Sysmon: DNS and connections with the process) saw, and the span each covers. The kind of
//   sensor is the edges' sensors property, whatever source name a load was given; edges without
//   it (older loads) count by their type. A zero is a blind spot: an exposure hunt saying
//   "nothing found" about that host means "not looked at".
// attack: []
// maturity: stable
// params:
//   since: {type: time, default: 0, description: only telemetry seen at or after this time}
//   until: {type: time, default: 253402300799, description: only telemetry seen at or before this time}
// columns: [host, dns, http, flow, tls, endpoint, dns_first_seen, dns_last_seen, http_first_seen, http_last_seen, flow_first_seen, flow_last_seen, tls_first_seen, tls_last_seen, endpoint_first_seen, endpoint_last_seen]
MATCH (h:Host)
OPTIONAL MATCH (h)-[q:QUERIED]->(:Domain)
WHERE q.last_seen >= $since AND q.first_seen <= $until
  AND (q.sensors IS NULL OR NOT 'endpoint' IN q.sensors OR size(q.sensors) > 1)
WITH h, count(q) AS dns, min(q.first_seen) AS dns_first_seen, max(q.last_seen) AS dns_last_seen
OPTIONAL MATCH (h)-[r:REQUESTED]->(:URL)
WHERE r.last_seen >= $since AND r.first_seen <= $until
  AND (r.sensors IS NULL OR NOT 'endpoint' IN r.sensors OR size(r.sensors) > 1)
WITH h, dns, dns_first_seen, dns_last_seen, count(r) AS http, min(r.first_seen) AS http_first_seen,
     max(r.last_seen) AS http_last_seen
OPTIONAL MATCH (h)-[c:CONNECTED_TO]->(:IP)
WHERE c.last_seen >= $since AND c.first_seen <= $until
  AND (c.sensors IS NULL OR NOT 'endpoint' IN c.sensors OR size(c.sensors) > 1)
WITH h, dns, dns_first_seen, dns_last_seen, http, http_first_seen, http_last_seen, count(c) AS flow,
     min(c.first_seen) AS flow_first_seen, max(c.last_seen) AS flow_last_seen
OPTIONAL MATCH (h)-[t:USED_CLIENT]->(:Fingerprint)
WHERE t.last_seen >= $since AND t.first_seen <= $until
  AND (t.sensors IS NULL OR NOT 'endpoint' IN t.sensors OR size(t.sensors) > 1)
WITH h, dns, dns_first_seen, dns_last_seen, http, http_first_seen, http_last_seen, flow, flow_first_seen,
     flow_last_seen, count(t) AS tls, min(t.first_seen) AS tls_first_seen, max(t.last_seen) AS tls_last_seen
OPTIONAL MATCH (h)-[e:QUERIED|CONNECTED_TO|REQUESTED|USED_CLIENT]->()
WHERE e.last_seen >= $since AND e.first_seen <= $until AND 'endpoint' IN e.sensors
WITH h, dns, dns_first_seen, dns_last_seen, http, http_first_seen, http_last_seen, flow, flow_first_seen,
     flow_last_seen, tls, tls_first_seen, tls_last_seen, count(e) AS endpoint, min(e.first_seen) AS endpoint_first_seen,
     max(e.last_seen) AS endpoint_last_seen
RETURN h.key AS host, dns, http, flow, tls, endpoint, dns_first_seen, dns_last_seen, http_first_seen, http_last_seen,
       flow_first_seen, flow_last_seen, tls_first_seen, tls_last_seen, endpoint_first_seen, endpoint_last_seen
ORDER BY host
