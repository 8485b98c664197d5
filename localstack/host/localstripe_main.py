"""Run localstripe (the Stripe API fake) on one address.

`localstripe --port N` always listens on all interfaces ('::'). This starts the same aiohttp
application on LOCALSTRIPE_HOST (default 127.0.0.1) instead, from a fresh store (like
`--from-scratch`: localstripe would otherwise reload /tmp/localstripe.pickle, which every
localstripe on the machine writes). Run it with the localstripe virtualenv's python.
"""

import argparse
import logging
import os
import socket

from aiohttp import web
from localstripe.server import app


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--host", default=os.environ.get("LOCALSTRIPE_HOST", "127.0.0.1"))
    p.add_argument("--port", type=int, default=8420)
    args = p.parse_args()

    family = socket.AF_INET6 if ":" in args.host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((args.host, args.port))

    logger = logging.getLogger("aiohttp.access")
    logger.setLevel(logging.DEBUG)
    logger.addHandler(logging.StreamHandler())
    print(f"localstripe listening on {args.host}:{args.port}", flush=True)
    web.run_app(app, sock=sock, access_log=logger, print=None)


if __name__ == "__main__":
    main()
