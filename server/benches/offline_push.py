#!/usr/bin/env python3
"""Offline-push throughput against the sandbox, through the real binary over HTTP.

N users log in on their own sandbox phone and report the regId; the back end sends one
batchsendmsg per 500 of them (Tencent's cap); the figure is the time from the first send to the
last push record, and the pushes per second. Needs `make build` first (`make bench` does it).
"""

import base64
import hashlib
import hmac
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import zlib
from http.cookiejar import CookieJar

N = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def usersig(sdkappid, key, identifier, expire=86400):
    """Tencent's TLS signature v2, as the public generators make it."""
    now = int(time.time())
    content = (f"TLS.identifier:{identifier}\nTLS.sdkappid:{sdkappid}\n"
               f"TLS.time:{now}\nTLS.expire:{expire}\n")
    sig = base64.b64encode(hmac.new(key.encode(), content.encode(), hashlib.sha256).digest())
    doc = {"TLS.ver": "2.0", "TLS.identifier": identifier, "TLS.sdkappid": sdkappid,
           "TLS.expire": expire, "TLS.time": now, "TLS.sig": sig.decode()}
    raw = base64.b64encode(zlib.compress(json.dumps(doc).encode())).decode()
    return raw.replace("+", "*").replace("/", "-").replace("=", "_")


def main():
    work = tempfile.mkdtemp()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    base = f"http://127.0.0.1:{port}"
    env = dict(os.environ, DATABASE_URL=f"sqlite://{work}/p.db?mode=rwc",
               PUSHDESK_ADDR=f"127.0.0.1:{port}", PUSHDESK_SANDBOX="1",
               PUSHDESK_CERT_ACTIVATION_DELAY="0", LEPTOS_SITE_ROOT=f"{ROOT}/target/site",
               RUST_LOG="error")
    server = subprocess.Popen([os.environ.get("PUSHDESK_BIN", f"{ROOT}/target/dist/pushdesk")], cwd=work, env=env,
                              stderr=open(f"{work}/server.log", "w"))
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))

    def call(method, path, body=None):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(base + path, data=data, method=method,
                                     headers={"content-type": "application/json"})
        with opener.open(req) as res:
            text = res.read()
            return json.loads(text) if text else None

    try:
        for _ in range(100):
            try:
                call("GET", "/healthz")
                break
            except Exception:
                time.sleep(0.1)
        pw = "correct horse battery"
        call("POST", "/api/v1/setup", {"username": "owner", "password": pw, "password_confirm": pw})
        call("POST", "/api/v1/session", {"username": "owner", "password": pw})
        app = call("POST", "/api/v1/apps", {"name": "Bench"})
        sdkappid, key = app["sdkappid"], app["secret_key"]
        call("PUT", f"/api/v1/apps/{sdkappid}/platforms", {"platforms": ["android"]})
        sb = call("POST", "/sandbox/mipush/apps", {"package_name": "com.example.im"})
        cert = call("POST", f"/api/v1/apps/{sdkappid}/certificates",
                    {"vendor": "xiaomi", "package_name": "com.example.im", "app_id": sb["app_id"],
                     "app_secret": sb["app_secret"], "region": "sandbox", "channel_id": "im"})
        admin = usersig(sdkappid, key, "administrator")

        def v4(api, body):
            return call("POST", f"/v4/{api}?sdkappid={sdkappid}&identifier=administrator"
                        f"&usersig={admin}&random=1&contenttype=json", body)

        users = [f"user{i}" for i in range(N)]
        for i in range(0, N, 100):
            v4("im_open_login_svc/multiaccount_import", {"Accounts": users[i:i + 100]})
        v4("im_open_login_svc/account_import", {"UserID": "sender"})
        t = time.time()
        for u in users:
            reg = call("POST", "/sandbox/mipush/devices", {"package_name": "com.example.im",
                                                          "app_id": sb["app_id"], "app_key": sb["app_key"]})
            login = call("POST", "/sdk/v1/login", {"sdkappid": sdkappid, "user_id": u,
                                                   "user_sig": usersig(sdkappid, key, u)})
            call("POST", "/sdk/v1/push-token", {"session": login["session"],
                                                "business_id": cert["id"], "token": reg["reg_id"]})
        setup = time.time() - t
        print(f"{N} users logged in and reported a token in {setup:.1f} s "
              f"({3 * N / setup:.0f} requests/s: register, login, push-token)")

        start = time.time()
        for i in range(0, N, 500):
            v4("openim/batchsendmsg", {"From_Account": "sender", "To_Account": users[i:i + 500],
                                       "MsgRandom": i, "MsgBody": [
                                           {"MsgType": "TIMTextElem", "MsgContent": {"Text": "hi"}}]})
        accepted_at = time.time() - start
        while True:
            page = call("GET", f"/api/v1/apps/{sdkappid}/push-records?outcome=accepted&limit=1")
            done = page["items"] and page["items"][0]["id"] >= N
            if done or time.time() - start > 300:
                break
            time.sleep(0.05)
        total = time.time() - start
        requests = call("GET", f"/api/v1/apps/{sdkappid}/push-records?limit=1")
        print(f"batchsendmsg x{(N + 499) // 500} accepted in {accepted_at:.2f} s; "
              f"{N} pushes on the phones after {total:.2f} s: {N / total:.0f} pushes/s "
              f"(newest record id {requests['items'][0]['id']})")
    finally:
        server.terminate()
        server.wait()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
