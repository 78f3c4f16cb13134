"""``python -m graphpivot``: the same command as the ``graphpivot`` console script."""

from graphpivot.cli import app

app(prog_name="graphpivot")
