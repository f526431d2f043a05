"""Schemathesis hooks for the contract run (loaded through SCHEMATHESIS_HOOKS=hooks).

Every test case authenticates with the token of a fresh session, minted by the test harness
(tests/tests/schemathesis.rs) at SESSIONS_TOKEN_MINT_URL. A shared token would not survive the
run: revoke-all, untrust and remove-device end the calling session by design, and every later
case would then only see 401.
"""

import os
import urllib.request

import schemathesis

MINT_URL = os.environ["SESSIONS_TOKEN_MINT_URL"]


@schemathesis.auth(refresh_interval=None)
class FreshSessionToken:
    def get(self, case, ctx):
        with urllib.request.urlopen(MINT_URL, timeout=10) as response:
            return response.read().decode().strip()

    def set(self, case, data, ctx):
        case.headers = case.headers or {}
        case.headers["Authorization"] = f"Bearer {data}"
