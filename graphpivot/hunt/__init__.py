"""The hunt engine: run stored hunts, grade what they find, report it (see :mod:`graphpivot.hunt.exposure`)."""
