"""`python -m gongdan_pdd_connector.simulator`: the same as `gongdan-pdd-sim`."""

from .cli import main

main()
