"""Handlers the runtime tests run in worker processes, one behaviour each."""

import os
import signal
import sys
import time

runs = 0  # module state: kept across runs in one instance


def echo(event, context):
    global runs
    runs += 1
    print("printed", event)
    print("to stderr", file=sys.stderr)
    context.getLogger().info("logged")
    return {"event": event, "runs": runs}


def noop(event, context):
    return None


def fail(event, context):
    raise ValueError(f"bad order {event.get('order')}")


def flaky(event, context):
    # The first run in an instance fails; the instance is kept, so a retry succeeds.
    global runs
    runs += 1
    if runs == 1:
        raise RuntimeError("first run fails")
    return {"runs": runs}


def sleep(event, context):
    time.sleep(event.get("seconds", 3600))
    return "woke"


def spin(event, context):
    while True:
        pass


def exits(event, context):
    os._exit(3)


def killed(event, context):
    os.kill(os.getpid(), signal.SIGKILL)


def hog(event, context):
    held = []
    while True:
        held.append(b"x" * (8 * 1024 * 1024))
        time.sleep(0.005)


def memory_error(event, context):
    raise MemoryError()


def not_json(event, context):
    return {1, 2}


def big(event, context):
    return "x" * 300_000


def chatty(event, context):
    for _ in range(100_000):
        print("y" * 100)
    return "done"


def returns_event(event, context):
    return event


def context_and_environment(event, context):
    logger = context.getLogger()
    return {
        "request_id": context.getRequestID(),
        "remaining_ms": context.getRemainingTimeInMilliSeconds(),
        "running_time": context.getRunningTimeInSeconds(),
        "user_data": context.getUserData("COLOUR"),
        "missing_user_data": context.getUserData("NOPE"),
        "function_name": context.getFunctionName(),
        "version": context.getVersion(),
        "package": context.getPackage(),
        "alias": context.getAlias(),
        "project_id": context.getProjectID(),
        "memory": context.getMemorySize(),
        "cpu": context.getCPUNumber(),
        "access_key": context.getAccessKey(),
        "secret_key": context.getSecretKey(),
        "security_access_key": context.getSecurityAccessKey(),
        "security_secret_key": context.getSecuritySecretKey(),
        "security_token": context.getSecurityToken(),
        "token": context.getToken(),
        "logger": [callable(getattr(logger, name)) for name in ("info", "warn", "error", "debug")],
        "environment": {key: value for key, value in os.environ.items() if key.startswith("RUNTIME_")},
        "colour_variable": os.environ.get("COLOUR"),
        "mock_secrets": [key for key in os.environ if key.startswith("FGS_")],
        "cwd": os.getcwd(),
    }


def pid_then_sleep(event, context):
    with open(context.getUserData("PID_FILE"), "w") as pid_file:
        pid_file.write(str(os.getpid()))
    time.sleep(3600)


def version(event, context):
    return list(sys.version_info[:2])


def measures(event, context):
    return len(event["blob"])


def prints_then_sleeps(event, context):
    print("before the hang", flush=True)
    time.sleep(3600)


def prints_then_exits(event, context):
    print("last words", flush=True)
    os._exit(4)


def child_hog(event, context):
    import subprocess

    child = subprocess.Popen([sys.executable, "-c", "import time; x = b'x' * (200 << 20); time.sleep(600)"])
    print(child.pid, flush=True)
    time.sleep(600)


def remaining_twice(event, context):
    first = context.getRemainingTimeInMilliSeconds()
    time.sleep(0.3)
    return [first, context.getRemainingTimeInMilliSeconds()]
