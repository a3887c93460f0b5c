"""The runtime: runs functions' Python code in worker processes, as FunctionGraph runs handlers.

`spec` is what a function registered with code is, `pool` its instances (`instance`: one process),
`worker` and `context` what runs inside an instance, `records` how a run ended. No HTTP here.
"""

from fgs_mock.runtime.pool import Pool
from fgs_mock.runtime.records import HandlerError, Outcome
from fgs_mock.runtime.spec import FunctionCode, code_of

__all__ = ["FunctionCode", "HandlerError", "Outcome", "Pool", "code_of"]
