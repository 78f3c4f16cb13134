// id: ws-specific-url
// title: Hosts that requested webhook, bot-API, paste or raw-content URLs
// description: >
//   AN2028 / T1102: the site is popular, the URL is not. A Discord or Slack webhook, a Telegram
//   bot API call, a raw paste or raw repository file carries the adversary's own token or id;
//   posting to it is how web-service C2 and exfiltration look in a proxy log. markers are
//   substrings of the full URL; service and category come from the web-service catalogue when
//   the URL's site is in it. users is how many internal hosts requested the same URL.
// attack: [T1102.001, T1102.002, T1102.003, T1567, T1105]
// maturity: experimental
// params:
//   markers:
//     type: "list[str]"
//     default: ["/api/webhooks/", "hooks.slack.com/services/", "api.telegram.org/bot", "/raw/", "raw.githubusercontent.com/", "gist.githubusercontent.com/", "cdn.discordapp.com/attachments/", "/paste/", "/dl/"]
//     description: URL substrings that mark a per-adversary resource on a web service
//   since: {type: time, default: 0, description: only requests seen at or after this time}
//   until: {type: time, default: 253402300799, description: only requests seen at or before this time}
//   limit: {type: int, default: 1000, description: at most this many rows}
// columns: [host, url, marker, service, category, users, methods, first_seen, last_seen, count, bytes_out, telemetry]
// references:
//   - https://attack.mitre.org/techniques/T1102/
UNWIND $markers AS marker
MATCH (u:URL)
WHERE u.key CONTAINS marker
WITH u, min(marker) AS marker
MATCH (other:Host)-[:REQUESTED]->(u)
WITH u, marker, count(DISTINCT other) AS users
MATCH (h:Host)-[r:REQUESTED]->(u)
WHERE r.last_seen >= $since AND r.first_seen <= $until
OPTIONAL MATCH (u)-[:ON_HOST]->(:Domain)-[:OPERATED_BY]->(w:WebService)
WITH h, u, marker, users, r.methods AS methods, r.first_seen AS first_seen, r.last_seen AS last_seen, r.count AS count,
     coalesce(r.bytes_out, 0) AS bytes_out, r.sources AS telemetry, coalesce(min(w.key), '') AS service,
     coalesce(min(w.category), '') AS category
RETURN h.key AS host, u.key AS url, marker, service, category, users, methods, first_seen, last_seen, count, bytes_out,
       telemetry
ORDER BY users, host, url
LIMIT $limit
