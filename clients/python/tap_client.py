#!/usr/bin/env python3
"""A client for the trading platform's order API, Python standard library only (3.8+).

It signs every request as docs/signing.md specifies (TAP-HMAC-SHA256); it is a reference
implementation of that page, written from it, and test/signing-spec.test.ts runs it against the
test vectors and against `npm run serve`.

Library use:

    from tap_client import OrderClient
    client = OrderClient("https://api.dev.trading.example.com", "desk-a", key)
    status, headers, body = client.place_order({"clientOrderId": "o-1", "symbol": "ACME",
        "side": "buy", "type": "limit", "quantity": "10", "limitPrice": "101.25"})

Command line (the key comes from the environment only: command lines are visible to every
local user):

    TAP_CLIENT_ID=desk-a TAP_CLIENT_KEY=... python3 tap_client.py place --url URL \\
        --client-order-id o-1 --symbol ACME --side buy --quantity 10 --limit-price 101.25
    TAP_CLIENT_ID=desk-a TAP_CLIENT_KEY=... python3 tap_client.py get --url URL ORDER_ID
    python3 tap_client.py vectors < vectors.json   # re-sign test vectors, print the results
"""

import argparse
import base64
import hashlib
import hmac
import http.client
import ipaddress
import json
import os
import sys
import time
import urllib.parse

SCHEME = "TAP-HMAC-SHA256"
REGION_HEADER = "x-tap-region"
DEFAULT_REGION = "us-east-1"
UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")


def encode_component(text):
    """RFC 3986 percent-encoding: unreserved characters as they are, every other UTF-8 byte as %XX."""
    return "".join(chr(b) if chr(b) in UNRESERVED else "%%%02X" % b for b in text.encode("utf-8"))


def canonical_query(pairs):
    """Decoded (name, value) pairs -> the canonical query line (also what is sent)."""
    encoded = sorted((encode_component(k), encode_component(v)) for k, v in pairs)
    return "&".join("%s=%s" % (k, v) for k, v in encoded)


def canonical_request(method, host, path, query_pairs, region, timestamp, nonce, client_id, body):
    """The ten lines of docs/signing.md, joined by \\n. `body` is bytes (b"" for none)."""
    return "\n".join(
        [
            SCHEME,
            method.upper(),
            host.lower(),
            path,
            canonical_query(query_pairs),
            region,
            str(timestamp),
            nonce,
            client_id,
            hashlib.sha256(body).hexdigest(),
        ]
    )


def sign(key, canonical):
    return hmac.new(key.encode("utf-8"), canonical.encode("utf-8"), hashlib.sha256).hexdigest()


def authorization(client_id, region, timestamp, nonce, signature):
    return "%s Credential=%s, Region=%s, Timestamp=%d, Nonce=%s, Signature=%s" % (
        SCHEME,
        client_id,
        region,
        timestamp,
        nonce,
        signature,
    )


def new_nonce():
    """128 random bits, base64url without padding: 22 characters."""
    return base64.urlsafe_b64encode(os.urandom(16)).rstrip(b"=").decode("ascii")


def is_loopback(hostname):
    if hostname == "localhost":
        return True
    try:
        return ipaddress.ip_address(hostname).is_loopback
    except ValueError:
        return False


class OrderClient:
    """Signs and sends requests; follows the service's region (x-tap-region) once per request."""

    def __init__(self, base_url, client_id, key, region=DEFAULT_REGION, timeout=10.0):
        url = urllib.parse.urlsplit(base_url)
        if url.scheme == "http" and not is_loopback(url.hostname or ""):
            raise ValueError("refusing to sign for http://%s: use https:// (http:// only to loopback)" % url.netloc)
        if url.scheme not in ("http", "https"):
            raise ValueError("refusing to sign for %s://: use https://" % url.scheme)
        self.url = url
        self.client_id = client_id
        self.key = key
        self.region = region
        self.timeout = timeout

    def _connection(self):
        cls = http.client.HTTPSConnection if self.url.scheme == "https" else http.client.HTTPConnection
        return cls(self.url.hostname, self.url.port, timeout=self.timeout)

    def _host(self):
        """The Host header http.client sends: the port only when it is not the scheme's default."""
        default = 443 if self.url.scheme == "https" else 80
        host = self.url.hostname
        if ":" in host:
            host = "[%s]" % host
        port = self.url.port
        return host if port is None or port == default else "%s:%d" % (host, port)

    def _send(self, method, path, query_pairs, body, region):
        timestamp = int(time.time() * 1000)
        nonce = new_nonce()
        host = self._host()
        canonical = canonical_request(
            method, host, path, query_pairs, region, timestamp, nonce, self.client_id, body
        )
        headers = {
            "Host": host,
            "Authorization": authorization(self.client_id, region, timestamp, nonce, sign(self.key, canonical)),
            # The client the web ACL counts; the service refuses a value other than the signed one.
            "X-Tap-Client": self.client_id,
        }
        if body:
            headers["Content-Type"] = "application/json"
        query = canonical_query(query_pairs)
        target = path + ("?" + query if query else "")
        conn = self._connection()
        try:
            conn.putrequest(method, target, skip_host=True, skip_accept_encoding=True)
            for name, value in headers.items():
                conn.putheader(name, value)
            if body:
                conn.putheader("Content-Length", str(len(body)))
            conn.endheaders(body if body else None)
            response = conn.getresponse()
            data = response.read()
            return response.status, {k.lower(): v for k, v in response.getheaders()}, data
        finally:
            conn.close()

    def request(self, method, path, query_pairs=(), body=b""):
        """Returns (status, headers with lower-case names, parsed JSON body or text)."""
        status, headers, data = self._send(method, path, list(query_pairs), body, self.region)
        named = headers.get(REGION_HEADER)
        if status == 401 and named and named != self.region:
            # Signed for the wrong region: sign again (a new nonce) for the one that answered.
            self.region = named
            status, headers, data = self._send(method, path, list(query_pairs), body, named)
        text = data.decode("utf-8", "replace")
        try:
            parsed = json.loads(text)
        except ValueError:
            parsed = text
        return status, headers, parsed

    def place_order(self, order):
        return self.request("POST", "/orders", body=json.dumps(order, separators=(",", ":")).encode("utf-8"))

    def get_order(self, order_id):
        return self.request("GET", "/orders/" + order_id)


def resign_vectors(vectors):
    """For each test vector, what this client computes from its inputs."""
    out = []
    for v in vectors:
        canonical = canonical_request(
            v["method"],
            v["host"],
            v["path"],
            [tuple(p) for p in v["query"]],
            v["region"],
            v["timestamp"],
            v["nonce"],
            v["clientId"],
            v["body"].encode("utf-8"),
        )
        signature = sign(v["key"], canonical)
        out.append(
            {
                "canonicalRequest": canonical,
                "signature": signature,
                "authorization": authorization(v["clientId"], v["region"], v["timestamp"], v["nonce"], signature),
            }
        )
    return out


def main(argv):
    parser = argparse.ArgumentParser(prog="tap_client.py", description="Signed requests to the order API.")
    sub = parser.add_subparsers(dest="command", required=True)
    place = sub.add_parser("place", help="place an order")
    get = sub.add_parser("get", help="read an order")
    for p in (place, get):
        p.add_argument("--url", required=True, help="https://api.<domain> (http:// only to loopback)")
        p.add_argument("--region", default=DEFAULT_REGION, help="the region to sign for first")
    place.add_argument("--client-order-id", required=True)
    place.add_argument("--symbol", required=True)
    place.add_argument("--side", required=True, choices=["buy", "sell"])
    place.add_argument("--quantity", required=True)
    place.add_argument("--limit-price")
    get.add_argument("order_id")
    sub.add_parser("vectors", help="re-sign the JSON test vectors on stdin (docs/signing.md)")
    args = parser.parse_args(argv)

    if args.command == "vectors":
        json.dump(resign_vectors(json.load(sys.stdin)), sys.stdout, indent=2)
        sys.stdout.write("\n")
        return 0

    client_id = os.environ.get("TAP_CLIENT_ID")
    key = os.environ.get("TAP_CLIENT_KEY")
    if not client_id or not key:
        sys.stderr.write("set TAP_CLIENT_ID and TAP_CLIENT_KEY in the environment\n")
        return 2
    client = OrderClient(args.url, client_id, key, region=args.region)
    if args.command == "place":
        order = {
            "clientOrderId": args.client_order_id,
            "symbol": args.symbol,
            "side": args.side,
            "type": "limit" if args.limit_price else "market",
            "quantity": args.quantity,
        }
        if args.limit_price:
            order["limitPrice"] = args.limit_price
        status, _, body = client.place_order(order)
    else:
        status, _, body = client.get_order(args.order_id)
    sys.stdout.write(json.dumps({"status": status, "body": body}) + "\n")
    return 0 if 200 <= status < 300 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
