"""``python -m cobase`` runs the CLI (same as the ``cobase`` command, with its one-sentence errors)."""

from cobase.cli import main

main()
