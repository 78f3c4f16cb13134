"""``graphpivot load``: intel, telemetry and reference lists into the graph (each command registered here)."""

from __future__ import annotations

import typer

from graphpivot.cli import load_intel, load_noise, load_telemetry

app = typer.Typer(help="Load intel and telemetry into the graph.", no_args_is_help=True)

COMMANDS = {
    "ioc": load_intel.ioc,
    "noise": load_noise.noise,
    "zeek": load_telemetry.zeek,
    "eve": load_telemetry.eve,
    "proxy": load_telemetry.proxy,
    "assets": load_telemetry.assets_command,
    "stix": load_intel.stix,
    "misp": load_intel.misp,
    "zeek-intel": load_intel.zeek_intel,
    "feed": load_intel.feed,
    "fingerprints": load_intel.fingerprints,
    "certs": load_intel.certs,
    "webservices": load_intel.webservices,
    "pdns": load_intel.pdns,
    "sysmon": load_telemetry.sysmon,
    "taxii": load_intel.taxii,
    "route53": load_telemetry.route53,
    "vpcflow": load_telemetry.vpcflow,
    "windns": load_telemetry.windns,
}
for _name, _command in COMMANDS.items():
    app.command(_name)(_command)
