"""graphpivot: pivot from threat-intel seeds over shared infrastructure to the enterprise's exposure.

An installed wheel carries the repository's ``cypher/`` and ``loaders/`` folders inside this
package (``pyproject.toml`` maps them in). In a source checkout (an editable install, or code run
from the tree) they sit at the repository root beside it, so that root joins the package path and
``graphpivot.loaders`` and :data:`SHIPPED_ROOT` resolve the same way in both.
"""

from pathlib import Path

__version__ = "0.1.0"

_PACKAGE_DIR = Path(__file__).resolve().parent
SHIPPED_ROOT = _PACKAGE_DIR if (_PACKAGE_DIR / "loaders").is_dir() else _PACKAGE_DIR.parent
"""The folder holding ``cypher/`` and ``loaders/``: this package when installed, the checkout's root otherwise."""

if SHIPPED_ROOT != _PACKAGE_DIR:
    __path__.append(str(SHIPPED_ROOT))
