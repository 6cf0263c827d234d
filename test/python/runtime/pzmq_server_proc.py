"""A test.Echo blocking server in its own process, for the dead-peer tests.

Usage: python pzmq_server_proc.py <bind endpoint>; prints the bound endpoint on one line once
serving, then serves until killed (the tests SIGKILL or SIGSTOP it).
"""

from __future__ import annotations

import sys
import time

import pzmq_testkit as kit
from protozmq import Server


def main() -> None:
    server = Server(max_workers=4, heartbeat_ivl_ms=100, heartbeat_timeout_ms=300, heartbeat_ttl_ms=300)
    kit.add_blocking(server, kit.Recorder())
    endpoint = server.bind(sys.argv[1])
    server.start()
    print(endpoint, flush=True)
    while True:
        time.sleep(3600)


if __name__ == "__main__":
    main()
