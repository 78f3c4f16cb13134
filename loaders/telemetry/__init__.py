"""Parsers of enterprise telemetry: Zeek, Suricata EVE, proxy logs, the asset inventory."""
