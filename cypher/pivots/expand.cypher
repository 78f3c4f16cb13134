// id: expand
// title: Expand seeds through every attribute kind, two stages, hub- and time-aware
// description: >
//   From seed domains and IPs to the infrastructure they share attributes with,
//   in up to two stages. A step goes from a domain or IP through an attribute
//   (an IP it resolved to, a name server, a certificate it served or is named in (valid in the window),
//   a registrant e-mail, a server fingerprint; or a seed IP or name server itself)
//   to the other domains and IPs that use it; the IPs and name servers a domain
//   uses are reached too. At every stage attributes and reached hosts used by
//   more than max_fanout domains, or on the noise list, are skipped, and a link
//   through an IP counts only when the two resolutions overlap in time (with
//   tolerance). One row per seed and reached domain or IP, at its nearest stage:
//   via lists the attributes crossed on the way (all of them when several routes
//   tie), max_degree is the highest degree among them; the lower, the stronger
//   the link; min_degree is the lowest (at stage 1: the most dedicated of the tied routes; at stage 2 it
//   equals max_degree). Seeds themselves are never rows.
// attack: [T1583, T1584]
// maturity: stable
// tags: [pivot, expand, hub-aware, time-aware]
// params:
//   seeds: {type: "list[str]", required: true, description: comma-separated canonical keys of domains and IPs}
//   max_fanout: {type: int, default: 200, description: skip attributes and hosts used by more domains than this}
//   include_noise: {type: bool, default: false, description: also cross attributes and reach hosts on the noise list}
//   tolerance: {type: int, default: 86400, description: seconds of slack when comparing two uses of an IP}
//   since: {type: time, default: 0, description: only links seen at or after this time}
//   until: {type: time, default: 253402300799, description: only links seen at or before this time}
//   limit: {type: int, default: 1000, description: at most this many rows}
// columns: [seed, kind, key, stage, via, via_kinds, max_degree, min_degree, indicator]
// references:
//   - https://attack.mitre.org/techniques/T1583/

// Stage 1: each seed through each route. The seed's own hub test is computed up front
// and applied after the OPTIONAL MATCHes: Ladybug 0.22 drops rows when a bound node's
// noise flag, or a boolean variable, is tested inside a later OPTIONAL MATCH ... WHERE. Routes: L = an attribute the seed links to
// (IP, name server, e-mail, fingerprint) and its other users; C = a certificate the
// seed serves or is named in, and its other servers and names; S = the seed itself as
// an attribute (an IP's domains, a name server's domains); A = the IP or name server
// the seed uses, reached itself.
MATCH (s)
WHERE s.key IN $seeds AND s.kind IN ['Domain', 'IP']
WITH s, coalesce(s.degree, 0) <= $max_fanout AND ($include_noise OR coalesce(s.noise, false) = false) AS s_passes
UNWIND ['L', 'C', 'S', 'A'] AS route
OPTIONAL MATCH (s)-[l1:RESOLVES_TO|NS|REGISTRANT|SOA_EMAIL|HAS_FINGERPRINT]->(la)<-[l2:RESOLVES_TO|NS|REGISTRANT|SOA_EMAIL|HAS_FINGERPRINT]-(lh)
WHERE route = 'L' AND lh.key <> s.key
  AND l1.last_seen >= $since AND l1.first_seen <= $until AND l2.last_seen >= $since AND l2.first_seen <= $until
  AND coalesce(la.degree, 0) <= $max_fanout AND ($include_noise OR coalesce(la.noise, false) = false)
  AND (la.kind <> 'IP' OR (l2.first_seen <= l1.last_seen + $tolerance AND l1.first_seen <= l2.last_seen + $tolerance))
OPTIONAL MATCH (s)-[c1:SERVES_CERT|SAN]-(ca:Certificate)-[c2:SERVES_CERT|SAN]-(ch)
WHERE route = 'C' AND ch.key <> s.key
  AND c1.last_seen >= $since AND c1.first_seen <= $until AND c2.last_seen >= $since AND c2.first_seen <= $until
  AND coalesce(ca.degree, 0) <= $max_fanout AND ($include_noise OR coalesce(ca.noise, false) = false)
  AND coalesce(ca.not_after, $until) >= $since AND coalesce(ca.not_before, $since) <= $until
OPTIONAL MATCH (s)<-[s1:RESOLVES_TO|NS]-(sh:Domain)
WHERE route = 'S' AND s1.last_seen >= $since AND s1.first_seen <= $until
OPTIONAL MATCH (s)-[a1:RESOLVES_TO|NS]->(ah)
WHERE route = 'A' AND a1.last_seen >= $since AND a1.first_seen <= $until
WITH s, s_passes, route,
     CASE route WHEN 'L' THEN la.key WHEN 'C' THEN ca.key WHEN 'S' THEN s.key ELSE ah.key END AS att,
     CASE route WHEN 'L' THEN la.kind WHEN 'C' THEN ca.kind WHEN 'S' THEN s.kind ELSE ah.kind END AS att_kind,
     CASE route WHEN 'L' THEN la.degree WHEN 'C' THEN ca.degree WHEN 'S' THEN s.degree ELSE ah.degree END AS att_degree,
     CASE route WHEN 'L' THEN lh.key WHEN 'C' THEN ch.key WHEN 'S' THEN sh.key ELSE ah.key END AS hit,
     CASE route WHEN 'L' THEN lh.kind WHEN 'C' THEN ch.kind WHEN 'S' THEN sh.kind ELSE ah.kind END AS hit_kind,
     CASE route WHEN 'L' THEN lh.degree WHEN 'C' THEN ch.degree WHEN 'S' THEN sh.degree ELSE ah.degree END AS hit_degree,
     CASE route WHEN 'L' THEN lh.noise WHEN 'C' THEN ch.noise WHEN 'S' THEN sh.noise ELSE ah.noise END AS hit_noise,
     CASE route WHEN 'L' THEN lh.indicator WHEN 'C' THEN ch.indicator WHEN 'S' THEN sh.indicator
                ELSE ah.indicator END AS hit_indicator,
     CASE route WHEN 'L' THEN l2.first_seen WHEN 'C' THEN c2.first_seen WHEN 'S' THEN s1.first_seen
                ELSE a1.first_seen END AS hit_first,
     CASE route WHEN 'L' THEN l2.last_seen WHEN 'C' THEN c2.last_seen WHEN 'S' THEN s1.last_seen
                ELSE a1.last_seen END AS hit_last
WHERE hit IS NOT NULL AND NOT hit IN $seeds AND (route <> 'S' OR s_passes)
  AND coalesce(hit_degree, 0) <= $max_fanout AND ($include_noise OR coalesce(hit_noise, false) = false)
WITH DISTINCT s.key AS seed, route AS route1, att AS a1, att_kind AS a1_kind, coalesce(att_degree, 0) AS a1_degree,
     hit AS h1, hit_kind AS h1_kind, coalesce(hit_indicator, false) AS h1_indicator, hit_first AS h1_first,
     hit_last AS h1_last
//
// Stage 2: the same routes from every host reached at stage 1, found again by label so
// the next patterns start from a matched node (hosts reached at stage 1 already passed
// the hub and noise test, so they can serve as attributes themselves). An IP or name
// server reached as the seed's own (route A) is not crossed as itself again: route L
// already did, with the time rule. Domains on an IP reached through a certificate or
// fingerprint count only while the IP presented it.
OPTIONAL MATCH (d:Domain {key: h1})
WHERE h1_kind = 'Domain'
OPTIONAL MATCH (i:IP {key: h1})
WHERE h1_kind = 'IP'
UNWIND ['DL', 'DC', 'DS', 'DA', 'IL', 'IC', 'IS'] AS route
OPTIONAL MATCH (d)-[dl1:RESOLVES_TO|NS|REGISTRANT|SOA_EMAIL|HAS_FINGERPRINT]->(dla)<-[dl2:RESOLVES_TO|NS|REGISTRANT|SOA_EMAIL|HAS_FINGERPRINT]-(dlh)
WHERE route = 'DL' AND dlh.key <> d.key
  AND dl1.last_seen >= $since AND dl1.first_seen <= $until AND dl2.last_seen >= $since AND dl2.first_seen <= $until
  AND coalesce(dla.degree, 0) <= $max_fanout AND ($include_noise OR coalesce(dla.noise, false) = false)
  AND (dla.kind <> 'IP' OR (dl2.first_seen <= dl1.last_seen + $tolerance AND dl1.first_seen <= dl2.last_seen + $tolerance))
OPTIONAL MATCH (d)-[dc1:SERVES_CERT|SAN]-(dca:Certificate)-[dc2:SERVES_CERT|SAN]-(dch)
WHERE route = 'DC' AND dch.key <> d.key
  AND dc1.last_seen >= $since AND dc1.first_seen <= $until AND dc2.last_seen >= $since AND dc2.first_seen <= $until
  AND coalesce(dca.degree, 0) <= $max_fanout AND ($include_noise OR coalesce(dca.noise, false) = false)
  AND coalesce(dca.not_after, $until) >= $since AND coalesce(dca.not_before, $since) <= $until
OPTIONAL MATCH (d)<-[ds1:NS]-(dsh:Domain)
WHERE route = 'DS' AND route1 <> 'A' AND ds1.last_seen >= $since AND ds1.first_seen <= $until
OPTIONAL MATCH (d)-[da1:RESOLVES_TO|NS]->(dah)
WHERE route = 'DA' AND da1.last_seen >= $since AND da1.first_seen <= $until
OPTIONAL MATCH (i)-[il1:HAS_FINGERPRINT]->(ila)<-[il2:HAS_FINGERPRINT]-(ilh)
WHERE route = 'IL' AND ilh.key <> i.key
  AND il1.last_seen >= $since AND il1.first_seen <= $until AND il2.last_seen >= $since AND il2.first_seen <= $until
  AND coalesce(ila.degree, 0) <= $max_fanout AND ($include_noise OR coalesce(ila.noise, false) = false)
OPTIONAL MATCH (i)-[ic1:SERVES_CERT|SAN]-(ica:Certificate)-[ic2:SERVES_CERT|SAN]-(ich)
WHERE route = 'IC' AND ich.key <> i.key
  AND ic1.last_seen >= $since AND ic1.first_seen <= $until AND ic2.last_seen >= $since AND ic2.first_seen <= $until
  AND coalesce(ica.degree, 0) <= $max_fanout AND ($include_noise OR coalesce(ica.noise, false) = false)
  AND coalesce(ica.not_after, $until) >= $since AND coalesce(ica.not_before, $since) <= $until
OPTIONAL MATCH (i)<-[is1:RESOLVES_TO]-(ish:Domain)
WHERE route = 'IS' AND route1 <> 'A' AND is1.last_seen >= $since AND is1.first_seen <= $until
  AND is1.first_seen <= h1_last + $tolerance AND h1_first <= is1.last_seen + $tolerance
WITH seed, a1, a1_kind, a1_degree, h1, h1_kind, h1_indicator,
     CASE route WHEN 'DL' THEN dla.key WHEN 'DC' THEN dca.key WHEN 'DS' THEN d.key WHEN 'DA' THEN dah.key
                WHEN 'IL' THEN ila.key WHEN 'IC' THEN ica.key ELSE i.key END AS a2,
     CASE route WHEN 'DL' THEN dla.kind WHEN 'DC' THEN dca.kind WHEN 'DS' THEN d.kind WHEN 'DA' THEN dah.kind
                WHEN 'IL' THEN ila.kind WHEN 'IC' THEN ica.kind ELSE i.kind END AS a2_kind,
     CASE route WHEN 'DL' THEN dla.degree WHEN 'DC' THEN dca.degree WHEN 'DS' THEN d.degree
                WHEN 'DA' THEN dah.degree WHEN 'IL' THEN ila.degree WHEN 'IC' THEN ica.degree
                ELSE i.degree END AS a2_degree,
     CASE route WHEN 'DL' THEN dlh.key WHEN 'DC' THEN dch.key WHEN 'DS' THEN dsh.key WHEN 'DA' THEN dah.key
                WHEN 'IL' THEN ilh.key WHEN 'IC' THEN ich.key ELSE ish.key END AS hit,
     CASE route WHEN 'DL' THEN dlh.kind WHEN 'DC' THEN dch.kind WHEN 'DS' THEN dsh.kind WHEN 'DA' THEN dah.kind
                WHEN 'IL' THEN ilh.kind WHEN 'IC' THEN ich.kind ELSE ish.kind END AS hit_kind,
     CASE route WHEN 'DL' THEN dlh.degree WHEN 'DC' THEN dch.degree WHEN 'DS' THEN dsh.degree
                WHEN 'DA' THEN dah.degree WHEN 'IL' THEN ilh.degree WHEN 'IC' THEN ich.degree
                ELSE ish.degree END AS hit_degree,
     CASE route WHEN 'DL' THEN dlh.noise WHEN 'DC' THEN dch.noise WHEN 'DS' THEN dsh.noise
                WHEN 'DA' THEN dah.noise WHEN 'IL' THEN ilh.noise WHEN 'IC' THEN ich.noise
                ELSE ish.noise END AS hit_noise,
     CASE route WHEN 'DL' THEN dlh.indicator WHEN 'DC' THEN dch.indicator WHEN 'DS' THEN dsh.indicator
                WHEN 'DA' THEN dah.indicator WHEN 'IL' THEN ilh.indicator WHEN 'IC' THEN ich.indicator
                ELSE ish.indicator END AS hit_indicator
WITH seed, a1, a1_kind, a1_degree, h1, h1_kind, h1_indicator, a2, a2_kind, coalesce(a2_degree, 0) AS a2_degree,
     CASE WHEN hit IS NULL OR hit IN $seeds OR coalesce(hit_degree, 0) > $max_fanout
               OR (NOT $include_noise AND coalesce(hit_noise, false)) THEN NULL ELSE hit END AS h2,
     hit_kind AS h2_kind, coalesce(hit_indicator, false) AS h2_indicator
//
// Every stage-1 and stage-2 candidate with the attributes crossed to reach it; then, per
// seed and host, the nearest stage and the attributes of the routes at that stage.
UNWIND [1, 2] AS stage
UNWIND [1, 2] AS hop
WITH seed, stage, hop,
     CASE stage WHEN 1 THEN h1 ELSE h2 END AS key,
     CASE stage WHEN 1 THEN h1_kind ELSE h2_kind END AS kind,
     CASE stage WHEN 1 THEN h1_indicator ELSE h2_indicator END AS indicator,
     CASE hop WHEN 1 THEN a1 ELSE a2 END AS via_key,
     CASE hop WHEN 1 THEN a1_kind ELSE a2_kind END AS via_kind,
     CASE hop WHEN 1 THEN a1_degree ELSE a2_degree END AS via_degree
WHERE key IS NOT NULL AND hop <= stage
WITH DISTINCT seed, key, kind, indicator, stage, via_key, via_kind, via_degree
WITH seed, key, kind, indicator,
     min(stage) AS nearest,
     collect(CASE WHEN stage = 1 THEN via_key END) AS via1,
     collect(CASE WHEN stage = 1 THEN via_kind END) AS kinds1,
     max(CASE WHEN stage = 1 THEN via_degree END) AS degree1,
     min(CASE WHEN stage = 1 THEN via_degree END) AS low1,
     collect(CASE WHEN stage = 2 THEN via_key END) AS via2,
     collect(CASE WHEN stage = 2 THEN via_kind END) AS kinds2,
     max(CASE WHEN stage = 2 THEN via_degree END) AS degree2
RETURN seed, kind, key,
       nearest AS stage,
       CASE nearest WHEN 1 THEN via1 ELSE via2 END AS via,
       CASE nearest WHEN 1 THEN kinds1 ELSE kinds2 END AS via_kinds,
       CASE nearest WHEN 1 THEN degree1 ELSE degree2 END AS max_degree,
       CASE nearest WHEN 1 THEN low1 ELSE degree2 END AS min_degree,
       indicator
ORDER BY seed, stage, max_degree, key
LIMIT $limit
