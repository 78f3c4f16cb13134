// id: same-netblock
// title: Neighbours in the same netblock as the seed's addresses (weak)
// description: >
//   From a seed IP, or the IPs a seed domain resolved to, through their announced
//   netblock to the other addresses in it and the domains on those addresses. A
//   WEAK link: neighbours in a hosting provider's block are often unrelated, so
//   use it to rank, not to conclude. Netblocks used by more than max_fanout
//   domains, noise netblocks (CDNs, clouds) and hub or noise IPs are skipped; the
//   netblock's and each address's degree are reported.
// attack: [T1583.003, T1583.004]
// maturity: experimental
// tags: [pivot, ip, netblock, weak]
// params:
//   seed: {type: host, required: true, description: the IP or domain to pivot from}
//   max_fanout: {type: int, default: 200, description: skip netblocks and IPs used by more domains than this}
//   include_noise: {type: bool, default: false, description: also cross netblocks and IPs on the noise list}
//   since: {type: time, default: 0, description: only observations at or after this time}
//   until: {type: time, default: 253402300799, description: only observations at or before this time}
//   limit: {type: int, default: 1000, description: at most this many rows}
// columns: [ip, domain, indicator, via_netblock, netblock_degree, ip_degree, seed_ip, strength, first_seen, last_seen]
OPTIONAL MATCH (sd:Domain {key: $seed})-[r0:RESOLVES_TO]->(rip:IP)
WHERE r0.last_seen >= $since AND r0.first_seen <= $until
  AND coalesce(rip.degree, 0) <= $max_fanout
  AND ($include_noise OR coalesce(rip.noise, false) = false)
WITH collect(DISTINCT rip.key) + [$seed] AS seed_ips
MATCH (sip:IP)-[r1:IN_NETBLOCK]->(b:Netblock)
WHERE sip.key IN seed_ips
  AND r1.last_seen >= $since AND r1.first_seen <= $until
  AND coalesce(b.degree, 0) <= $max_fanout
  AND ($include_noise OR coalesce(b.noise, false) = false)
WITH DISTINCT seed_ips, sip, b
MATCH (b)<-[r2:IN_NETBLOCK]-(ip2:IP)
WHERE NOT ip2.key IN seed_ips
  AND r2.last_seen >= $since AND r2.first_seen <= $until
  AND coalesce(ip2.degree, 0) <= $max_fanout
  AND ($include_noise OR coalesce(ip2.noise, false) = false)
OPTIONAL MATCH (ip2)<-[r3:RESOLVES_TO]-(d:Domain)
WHERE r3.last_seen >= $since AND r3.first_seen <= $until
RETURN ip2.key AS ip,
       d.key AS domain,
       coalesce(d.indicator, false) OR coalesce(ip2.indicator, false) AS indicator,
       b.key AS via_netblock,
       coalesce(b.degree, 0) AS netblock_degree,
       coalesce(ip2.degree, 0) AS ip_degree,
       sip.key AS seed_ip,
       'weak' AS strength,
       coalesce(r3.first_seen, r2.first_seen) AS first_seen,
       coalesce(r3.last_seen, r2.last_seen) AS last_seen
ORDER BY netblock_degree, ip, domain, seed_ip
LIMIT $limit
