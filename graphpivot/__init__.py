"""graphpivot: pivot from threat-intel seeds over shared infrastructure to the enterprise's exposure."""

__version__ = "0.1.0"
