"""fgs-conformance: holds any endpoint to FunctionGraph's documented async-invocation contract.

Run it as `fgs-conformance` or `python -m fgs_conformance`; `fgs_conformance.cli.main` is the entry point.
"""
