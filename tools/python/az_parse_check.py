"""Checks az command lines with the Azure CLI's own parser, without running them.

Reads the lines k8s/azure/deploy.sh --dry-run prints ("+ az containerapp ...", shell-quoted) from
the files named on the command line, and hands each to azure-cli's invoker exactly as `az` would:
the command table is loaded and the line parsed with az's argument parser, which refuses an
unknown command, an unrecognized argument, a missing required argument or a bad choice. The
invocation stops right after the parse (an event az raises there), before validators that need an
account and before anything is sent. Nothing reaches the network: telemetry, error
recommendations, extension installs and the latest-release check are off, the configuration is a
fresh temporary directory (no login), and every socket connection is refused here (and reported
as a failure if one was tried).

Run by tools/test/azure-cli.test.ts:  .venv-tools/bin/python az_parse_check.py COMMANDS.txt ...
Prints "ok   az ..." or "FAIL az ...: <az's message>" per command; exits 1 if any failed.
"""
import datetime
import json
import os
import shlex
import shutil
import socket
import sys
import tempfile

CONFIG_DIR = tempfile.mkdtemp(prefix="az-parse-check-")
os.environ.update(
    AZURE_CONFIG_DIR=CONFIG_DIR,
    AZURE_CORE_COLLECT_TELEMETRY="no",
    AZURE_CORE_ERROR_RECOMMENDATION="off",
    AZURE_EXTENSION_USE_DYNAMIC_INSTALL="no",
    AZURE_CORE_NO_COLOR="yes",
    AZURE_CORE_SURVEY_MESSAGE="no",
)

network_attempts = []


def refuse(*args, **_kwargs):
    network_attempts.append(repr(args[:2]))
    raise OSError("az_parse_check: network access is refused")


socket.socket.connect = refuse
socket.socket.connect_ex = refuse
socket.create_connection = refuse
socket.getaddrinfo = refuse

# Imported after the environment is set: azure-cli reads it when the CLI object is created.
from azure.cli.core import azclierror, get_default_cli  # noqa: E402
from azure.cli.core.util import _get_local_versions  # noqa: E402
from knack.events import EVENT_INVOKER_POST_PARSE_ARGS  # noqa: E402

# A fresh configuration has no record of the latest az release, and az would ask its storage
# account for one when the CLI object is created: record the installed versions as checked now.
with open(os.path.join(CONFIG_DIR, "versionCheck.json"), "w", encoding="utf-8") as cache:
    json.dump({"versions": _get_local_versions(), "update_time": str(datetime.datetime.now())}, cache)


class Parsed(BaseException):
    """Raised once az has parsed a line: it passes knack's `except Exception` and ends the call."""


messages = []


def record(error):
    messages.append(error.error_msg)


# az prints its parse errors through AzCLIError.print_error: keep the message for our one line.
azclierror.AzCLIError.print_error = record


def stop(_cli, **kwargs):
    raise Parsed(kwargs["command"])


def commands(paths):
    for path in paths:
        with open(path, encoding="utf-8") as lines:
            for line in lines:
                if line.startswith("+ az "):
                    yield line[2:].rstrip("\n")


def check(cli, line):
    """az's verdict on one command line: None when it parses, else az's message."""
    messages.clear()
    args = shlex.split(line)[1:]
    try:
        with open(os.devnull, "w", encoding="utf-8") as devnull:
            code = cli.invoke(args, out_file=devnull)
        return "; ".join(messages) or f"az did not parse it (exit {code})"
    except Parsed:
        return None
    except SystemExit as exit_:
        return "; ".join(messages) or f"az's parser exited with {exit_.code}"


def main(paths):
    cli = get_default_cli()
    cli.register_event(EVENT_INVOKER_POST_PARSE_ARGS, stop)
    failures = 0
    for line in commands(paths):
        problem = check(cli, line)
        if problem is None:
            print(f"ok   {line}")
        else:
            failures += 1
            print(f"FAIL {line}: {problem}")
    if network_attempts:
        failures += 1
        print(f"FAIL network: az tried to connect ({', '.join(network_attempts)})")
    return 1 if failures else 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    finally:
        shutil.rmtree(CONFIG_DIR, ignore_errors=True)
