from fgs.cli.entry import call
from fgs_conformance.cli import main

raise SystemExit(call("fgs-conformance", main))
