"""Run LocalStack's runtime (`python -m localstack.runtime.main`) with its gateway bound to the
address named in GATEWAY_LISTEN.

LocalStack 4.13's default gateway server (twisted) ignores the host part of GATEWAY_LISTEN for
IPv4 and listens on 0.0.0.0 (localstack/runtime/server/twisted.py: "TODO: interface = host?").
This wrapper gives twisted's TCP4ServerEndpoint the host that GATEWAY_LISTEN pairs with each
port, then hands over to LocalStack unchanged. Run it with the LocalStack virtualenv's python.
"""

import os
import runpy

from twisted.internet import endpoints


def _listen_hosts():
    hosts = {}
    for item in os.environ.get("GATEWAY_LISTEN", "").split(","):
        item = item.strip()
        if not item or item.startswith("["):  # IPv6 is already honoured by LocalStack
            continue
        host, _, port = item.rpartition(":")
        if host and port.isdigit():
            hosts[int(port)] = host
    return hosts


_HOSTS = _listen_hosts()
_TCP4ServerEndpoint = endpoints.TCP4ServerEndpoint


def _bound_tcp4_server_endpoint(reactor, port, backlog=50, interface=""):
    return _TCP4ServerEndpoint(reactor, port, backlog, interface or _HOSTS.get(port, ""))


endpoints.TCP4ServerEndpoint = _bound_tcp4_server_endpoint

if __name__ == "__main__":
    runpy.run_module("localstack.runtime.main", run_name="__main__", alter_sys=True)
