from typing import Literal

FuncDestinationConfigDestination = Literal["FunctionGraph", "OBS", "SMN"]

FUNC_DESTINATION_CONFIG_DESTINATION_VALUES: set[FuncDestinationConfigDestination] = {
    "FunctionGraph",
    "OBS",
    "SMN",
}


def check_func_destination_config_destination(value: str) -> FuncDestinationConfigDestination:
    if value in FUNC_DESTINATION_CONFIG_DESTINATION_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {FUNC_DESTINATION_CONFIG_DESTINATION_VALUES!r}")
