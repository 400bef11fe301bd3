"""``python -m cobase`` runs the CLI (same as the ``cobase`` command)."""

from cobase.cli import app

app(prog_name="cobase")
