"""Evidence paths: the nodes and edges from a host to the indicator, as an analyst reads them."""

from __future__ import annotations

from graphpivot.hunt.model import Observation, Pivot


def evidence_path(obs: Observation) -> list[str]:
    """Nodes and edges from the host to the indicator, e.g. ``Host:h -QUERIED-> Domain:a.evil.com ...``."""
    path = [f"Host:{obs.host}", f"-{obs.rel}->"]
    if obs.rel == "REQUESTED":
        path.append(f"URL:{obs.url}")
        if obs.touched != obs.url:
            path += ["-ON_HOST->", f"{obs.touched_kind}:{obs.touched}"]
    else:
        path.append(f"{obs.touched_kind}:{obs.touched}")
    labels = obs.touched.split(".")
    for step in range(1, obs.hops + 1):
        path += ["-SUBDOMAIN_OF->", "Domain:" + ".".join(labels[step:])]
    if obs.indicator_kind == "URL" and obs.touched != obs.indicator:
        path += ["<-ON_HOST-", f"URL:{obs.indicator}"]
    elif obs.pivot is None and obs.touched != obs.indicator:
        # A step from what the host touched to the indicator: the answer, certificate or fingerprint.
        link = {"IP": "-RESOLVES_TO->", "Certificate": "-SERVES_CERT->", "Fingerprint": "-HAS_FINGERPRINT->"}
        if obs.indicator_kind in link:
            path += [link[obs.indicator_kind], f"{obs.indicator_kind}:{obs.indicator}"]
    if obs.pivot is not None:
        path += _pivot_steps(obs, obs.pivot)
    return path


def _pivot_steps(obs: Observation, pivot: Pivot) -> list[str]:
    """From the reached node back to the seed: the attributes crossed, or the resolution itself."""
    seed = f"{obs.indicator_kind}:{pivot.seed}"
    crossed = [
        f"{kind} {key}"
        for kind, key in reversed(list(zip(pivot.via_kinds, pivot.via, strict=False)))
        if key not in (obs.touched, pivot.seed)
    ]
    if len(pivot.via) > pivot.stage:  # several routes tie: say so rather than draw a chain
        return [f"-[via one of: {', '.join(crossed)}]-", seed]
    if crossed:
        return [*(f"-[{step}]-" for step in crossed), seed]
    # Reached directly over RESOLVES_TO: an IP of a seed domain, or a domain on a seed IP.
    return ["-RESOLVES_TO->" if obs.indicator_kind == "IP" else "<-RESOLVES_TO-", seed]
