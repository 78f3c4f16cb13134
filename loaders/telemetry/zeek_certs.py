"""Join Zeek's certificate logs by file id: ``files.log`` hashes, ``x509.log`` certificates, ``ssl.log`` chains.

Before Zeek 4.2, ``x509.log`` carries no hash and ``ssl.log`` names certificates
only by file id (``cert_chain_fuids``); the hashes are in ``files.log``. The
join lives in a private temporary SQLite database on disk, so memory stays
flat however many certificates a load sees.
"""

from __future__ import annotations

import sqlite3

Hashes = tuple[str | None, str | None, str | None]  # sha256, sha1, md5


class CertIndex:
    """File id -> hashes (from files.log) and file id -> certificate key (from x509.log)."""

    def __init__(self) -> None:
        self._db = sqlite3.connect("")  # "" = a private temporary database on disk
        self._db.execute("CREATE TABLE hashes (fuid TEXT PRIMARY KEY, sha256 TEXT, sha1 TEXT, md5 TEXT)")
        self._db.execute("CREATE TABLE certs (fuid TEXT PRIMARY KEY, key TEXT, key_type TEXT)")

    def add_hashes(self, fuid: str, sha256: str | None, sha1: str | None, md5: str | None) -> None:
        self._db.execute("INSERT OR REPLACE INTO hashes VALUES (?, ?, ?, ?)", (fuid, sha256, sha1, md5))

    def hashes(self, fuid: str) -> Hashes | None:
        row = self._db.execute("SELECT sha256, sha1, md5 FROM hashes WHERE fuid = ?", (fuid,)).fetchone()
        return None if row is None else (row[0], row[1], row[2])

    def add_cert(self, fuid: str, key: str, key_type: str) -> None:
        self._db.execute("INSERT OR REPLACE INTO certs VALUES (?, ?, ?)", (fuid, key, key_type))

    def cert(self, fuid: str) -> tuple[str, str] | None:
        row = self._db.execute("SELECT key, key_type FROM certs WHERE fuid = ?", (fuid,)).fetchone()
        return None if row is None else (row[0], row[1])

    def close(self) -> None:
        self._db.close()
