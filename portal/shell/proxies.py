"""X-Forwarded-For, believed only from the reverse proxies.

Behind a proxy the client's address comes in X-Forwarded-For, which any client can also send. With the
portal reachable directly, a spoofed header would dodge the login throttle and forge the audit's
addresses, so the headers are read (werkzeug's ProxyFix) only for requests whose own peer is one of
TRUSTED_PROXIES; any other request keeps the address it came from."""

import ipaddress

from werkzeug.middleware.proxy_fix import ProxyFix


def _networks(listed: str) -> tuple:
    return tuple(ipaddress.ip_network(part.strip(), strict=False) for part in listed.split(",") if part.strip())


class TrustedProxies:
    def __init__(self, app, trusted: str, hops: int):
        self.app = app
        self.proxied = ProxyFix(app, x_for=hops, x_proto=1)
        self.trusted = _networks(trusted)

    def _from_proxy(self, environ) -> bool:
        try:
            peer = ipaddress.ip_address(environ.get("REMOTE_ADDR", ""))
        except ValueError:
            return False
        return any(peer in network for network in self.trusted if network.version == peer.version)

    def __call__(self, environ, start_response):
        if self._from_proxy(environ):
            return self.proxied(environ, start_response)
        return self.app(environ, start_response)
