"""A FunctionGraph function in Python: it prices orders. Deploy it as is, or run it in fgs-mock.

The initializer loads the price list once per instance; the handler charges one order. An order for
an item with no price raises, so FunctionGraph retries it as the function's async config says, then
tells the on_failure destination: here `dead_letter`, another function of this file.
"""

from typing import Any

prices: dict[str, int] = {}


def init(context: Any) -> None:
    prices.update({"book": 12, "pen": 2})
    context.getLogger().info(f"{len(prices)} prices loaded")


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    item = event["item"]
    if item not in prices:
        raise LookupError(f"no price for {item}")
    context.getLogger().info(f"order {event['order_id']}: {item}")
    return {"order_id": event["order_id"], "total": prices[item] * event.get("quantity", 1)}


def dead_letter(event: dict[str, Any], context: Any) -> dict[str, Any]:
    # The destination record: which run failed, how often it was tried, its request and its error.
    return {
        "failed": event["request_id"],
        "attempts": event["attempts"],
        "order_id": event["request_payload"]["order_id"],
        "reason": event["error"]["errorMessage"],
    }
