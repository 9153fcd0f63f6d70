"""``python -m sdsi`` is the ``sdsi`` command."""

from sdsi.cli import main

main()
