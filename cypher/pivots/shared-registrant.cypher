// id: shared-registrant
// title: Domains registered with the same e-mail address as the seed
// description: >
//   From a seed domain (or its registered domain, where WHOIS data lives) through
//   its registrant or SOA e-mail addresses to every other domain that used one.
//   Addresses used by more than max_fanout domains and privacy-service addresses
//   (on the noise list) are skipped; the degree of each address crossed is
//   reported.
// attack: [T1583.001, T1585.002]
// maturity: stable
// tags: [pivot, whois, email]
// params:
//   seed: {type: domain, required: true, description: the domain to pivot from}
//   max_fanout: {type: int, default: 200, description: skip addresses used by more domains than this}
//   include_noise: {type: bool, default: false, description: also cross addresses on the noise list (flagged in email_noise)}
//   since: {type: time, default: 0, description: only registrations seen at or after this time}
//   until: {type: time, default: 253402300799, description: only registrations seen at or before this time}
//   limit: {type: int, default: 1000, description: at most this many rows}
// columns: [domain, indicator, via_email, email_degree, email_noise, noise_reason, first_seen, last_seen, sources]
// references:
//   - https://attack.mitre.org/techniques/T1583/001/
MATCH (s:Domain {key: $seed})
WITH s, coalesce(s.registered_domain, s.key) AS zone
MATCH (z:Domain)-[r1:REGISTRANT|SOA_EMAIL]->(e:Email)
WHERE z.key IN [s.key, zone]
  AND r1.last_seen >= $since AND r1.first_seen <= $until
  AND coalesce(e.degree, 0) <= $max_fanout
  AND ($include_noise OR coalesce(e.noise, false) = false)
WITH DISTINCT s, zone, e
MATCH (e)<-[r2:REGISTRANT|SOA_EMAIL]-(d:Domain)
WHERE d.key <> s.key AND d.key <> zone
  AND r2.last_seen >= $since AND r2.first_seen <= $until
WITH d, e, min(r2.first_seen) AS first_seen, max(r2.last_seen) AS last_seen
RETURN d.key AS domain,
       coalesce(d.indicator, false) AS indicator,
       e.key AS via_email,
       coalesce(e.degree, 0) AS email_degree,
       coalesce(e.noise, false) AS email_noise,
       e.noise_reason AS noise_reason,
       first_seen,
       last_seen,
       d.sources AS sources
ORDER BY email_degree, domain, via_email
LIMIT $limit
