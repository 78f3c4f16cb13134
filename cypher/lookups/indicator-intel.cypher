// id: indicator-intel
// title: What intel says about indicators - reports, validity windows, confidence, threats
// description: >
//   One row per (indicator, report) with the MENTIONS window (valid_from, valid_until), the
//   report's source, tags and TLP marking, and the threats it is tied to (ATTRIBUTED_TO, or the report is
//   ABOUT them). graphpivot exposure reads it to clip evidence to the window in which the
//   intel holds and to tell malware lists from "suspicious"/service lists (a report tagged
//   suspicious, or a mention with context "category: suspicious").
//   With all_indicators every node flagged indicator = true is included, and every node a report
//   mentions (an observable intel only describes: exposure grades it as context). to_ids is the
//   mention's own verdict (MISP to_ids, STIX: true for indicator pattern values, false for observables).
//   techniques: the ATT&CK ids the report names, and the lists of those its threats name (the threats the
//   report is ABOUT, then those the indicator is ATTRIBUTED_TO), flattened by the caller.
// attack: []
// maturity: stable
// params:
//   indicators: {type: "list[str]", default: [], description: canonical keys of indicators (any kind)}
//   all_indicators: {type: bool, default: false, description: include every node flagged indicator = true}
// columns: [kind, key, flagged, node_sources, report, report_source, report_tags, report_tlp, valid_from, valid_until, confidence, context, to_ids, threats, techniques, report_threat_techniques, threat_techniques]
MATCH (n)
WHERE n.kind IN ['Domain', 'IP', 'URL', 'Certificate', 'Fingerprint', 'Email', 'ASN', 'Netblock', 'WebService']
  AND ($all_indicators OR n.key IN $indicators)
OPTIONAL MATCH (r:Report)-[m:MENTIONS]->(n)
WITH n, r, m.valid_from AS valid_from, m.valid_until AS valid_until, m.confidence AS confidence, m.context AS context,
     m.to_ids AS to_ids
WHERE n.key IN $indicators OR coalesce(n.indicator, false) OR r IS NOT NULL
OPTIONAL MATCH (r)-[:ABOUT]->(t:Threat)
WITH n, r, valid_from, valid_until, confidence, context, to_ids, collect(DISTINCT t.key) AS report_threats,
     collect(t.techniques) AS report_threat_techniques
OPTIONAL MATCH (n)-[:ATTRIBUTED_TO]->(a:Threat)
WITH n, r, valid_from, valid_until, confidence, context, to_ids, report_threats, report_threat_techniques,
     collect(DISTINCT a.key) AS own_threats, collect(a.techniques) AS threat_techniques
RETURN n.kind AS kind,
       n.key AS key,
       coalesce(n.indicator, false) AS flagged,
       n.sources AS node_sources,
       r.key AS report,
       r.source AS report_source,
       r.tags AS report_tags,
       r.tlp AS report_tlp,
       valid_from,
       valid_until,
       confidence,
       context,
       to_ids,
       report_threats + own_threats AS threats,
       r.techniques AS techniques,
       report_threat_techniques,
       threat_techniques
ORDER BY kind, key, report
