"""Which process reached a web service: script hosts and user-folder binaries grade higher than browsers.

Endpoint telemetry (Sysmon EID 22 / EID 3) keeps the process image on QUERIED and
CONNECTED_TO edges (``processes``). A paste site or bot API looked up by a browser is
everyday use; the same name looked up by ``powershell.exe`` or ``rundll32.exe`` is what
AN2028 / T1102 hunts for (a script or a living-off-the-land binary talking to a web
service). Sysmon's DNS and network events carry no signature status, so "unsigned
binary" is approximated by where it runs from: a user-writable folder.

The lists below are the documented vocabulary (case-insensitive file names).
"""

from __future__ import annotations

from dataclasses import dataclass

# Script hosts and living-off-the-land binaries (LOLBAS) seen fetching payloads or talking to C2.
SCRIPT_HOSTS = frozenset({
    "powershell.exe", "pwsh.exe", "powershell_ise.exe", "wscript.exe", "cscript.exe", "mshta.exe",
    "rundll32.exe", "regsvr32.exe", "cmd.exe", "certutil.exe", "bitsadmin.exe", "msbuild.exe",
    "installutil.exe", "cmstp.exe", "wmic.exe", "msiexec.exe", "regasm.exe", "regsvcs.exe", "curl.exe",
    "wget.exe", "python.exe", "pythonw.exe", "wsl.exe", "bash.exe", "hh.exe", "forfiles.exe", "odbcconf.exe",
})
BROWSERS = frozenset({
    "msedge.exe", "chrome.exe", "firefox.exe", "iexplore.exe", "brave.exe", "opera.exe", "vivaldi.exe",
    "safari", "google chrome", "firefox",
})
# Folders a user can write to: a binary running from there is unmanaged (and likely unsigned).
USER_WRITABLE = ("\\users\\", "\\temp\\", "\\windows\\tasks\\", "\\programdata\\", "\\$recycle.bin\\", "/tmp/",
                 "/home/", "/users/")
# Under the folders above, but installed and signed by their vendor.
KNOWN_INSTALLS = ("\\programdata\\microsoft\\windows defender\\", "\\appdata\\local\\microsoft\\teams\\",
                  "\\appdata\\local\\microsoft\\onedrive\\")


@dataclass(frozen=True)
class ProcessClass:
    """How a process image reads as evidence: ``script`` / ``user-folder`` (raise), ``browser``, ``other``."""

    image: str
    name: str
    kind: str

    @property
    def raises(self) -> bool:
        return self.kind in ("script", "user-folder")

    def describe(self) -> str:
        what = {"script": "a script host or living-off-the-land binary", "user-folder":
                "a binary run from a user-writable folder (Sysmon DNS/network events carry no signature)",
                "browser": "a browser", "other": "a process"}[self.kind]
        return f"{self.name} ({what}: {self.image})"


def classify(image: str) -> ProcessClass:
    """The class of one process image path (any case, Windows or POSIX separators)."""
    path = image.strip().lower()
    name = path.replace("/", "\\").rsplit("\\", 1)[-1]
    if name in SCRIPT_HOSTS:
        return ProcessClass(path, name, "script")
    if name in BROWSERS:
        return ProcessClass(path, name, "browser")
    if any(part in path.replace("/", "\\") or part in path for part in USER_WRITABLE) and not any(
        known in path for known in KNOWN_INSTALLS
    ):
        return ProcessClass(path, name, "user-folder")
    return ProcessClass(path, name, "other")
