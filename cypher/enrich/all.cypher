// id: all
// title: Every domain and IP
// description: >
//   Every node of the given labels (for small graphs or a first full pass); the job drops those only the
//   reference data put there (their sources are all reference lists: nothing seen or reported them).
// params:
//   kinds: {type: "list[str]", default: "Domain,IP", description: node labels to return}
// columns: [kind, key, sources]
MATCH (n)
WHERE n.kind IN $kinds
RETURN n.kind AS kind, n.key AS key, n.sources AS sources
