"""An initializer that runs once per instance, and one that fails, counting its tries in a file."""

import os

ready = None
inits = 0


def init(context):
    global ready, inits
    inits += 1
    ready = f"initialized for {context.getFunctionName()}"


def handler(event, context):
    return {"ready": ready, "inits": inits}


def broken_init(context):
    with open(os.path.join(context.getUserData("TRIES_DIR"), "tries"), "a") as tries:
        tries.write("x")
    raise RuntimeError("no database")


def slow_init(context):
    import time

    time.sleep(3600)
