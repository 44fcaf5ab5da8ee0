"""The deployment test: docker-compose.yml's topology, run without Docker.

    tests/deploy/run.sh path/to/youguanjia      (runs this with the venv's Python)

Starts, each on a free port of 127.0.0.1 and all stopped at the end:
  - a fresh PostgreSQL database (dropped at the end) on $YGJ_TEST_PG_URL's server
    (default postgres://postgres@127.0.0.1:5432/postgres);
  - moto_server, an S3-compatible server, with one bucket;
  - tests/sso/provider.mjs, a real OAuth 2.0 provider;
  - instance A (`serve --demo --scale 0.05`), then instance B (`serve`) once A is ready: same
    DATABASE_URL, YGJ_JWT_SECRET, YGJ_S3_* and YGJ_SSO_*;
  - nginx with deploy/nginx.conf rendered for these addresses.
Then checks, through nginx unless said otherwise, and prints `N passed, N failed`.
"""

import atexit
import hashlib
import json
import os
import re
import secrets
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
import urllib.parse
import zlib

import bcrypt
import boto3
import requests
import yaml

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
if len(sys.argv) != 2:
    sys.exit("usage: deploy_test.py path/to/youguanjia")
BIN = os.path.abspath(sys.argv[1])
VENV_BIN = os.path.dirname(sys.executable)
PG_ADMIN = os.environ.get("YGJ_TEST_PG_URL", "postgres://postgres@127.0.0.1:5432/postgres")
MAX_UPLOAD_MB = 1  # small, so that nginx's limit (20 pages × this + 1) is cheap to exceed
NGINX_MAX_BODY_MB = 20 * MAX_UPLOAD_MB + 1
BUCKET = "ygj-deploy"
PREFIX = "ygj"
SSO_CLIENT_ID = "ygj-deploy"
SSO_CLIENT_SECRET = "deploy-secret"
PASSWORD = "Demo@2026"

tmp = tempfile.mkdtemp(prefix="ygj-deploy-")
os.chmod(tmp, 0o755)  # nginx's workers (nobody when started as root) write temp files below
procs = {}  # name -> (Popen, log path)
database = None
passed = 0
failed = 0


def log(message):
    print(f"[deploy] {message}", flush=True)


def ok(name):
    global passed
    passed += 1
    print(f"ok {passed} - {name}", flush=True)


class Failure(Exception):
    pass


def check(condition, name, detail=""):
    if not condition:
        raise Failure(f"{name}: {detail}" if detail else name)
    ok(name)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(name, argv, env=None, stdin=None):
    path = os.path.join(tmp, f"{name}.log")
    out = open(path, "wb")
    proc = subprocess.Popen(
        argv, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, stdin=stdin,
        start_new_session=True,
    )
    procs[name] = (proc, path)
    return proc


def stop(name, sig=signal.SIGTERM):
    proc, _ = procs[name]
    if proc.poll() is None:
        proc.send_signal(sig)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def tail(name, lines=40):
    _, path = procs[name]
    with open(path, "rb") as f:
        text = f.read().decode("utf-8", "replace").splitlines()
    return "\n".join(text[-lines:])


def cleanup():
    for name in list(procs):
        try:
            stop(name)
        except Exception:  # noqa: BLE001 - best effort at exit
            pass
    if database:
        subprocess.run(
            ["psql", PG_ADMIN, "-q", "-c", f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False,
        )
    shutil.rmtree(tmp, ignore_errors=True)


atexit.register(cleanup)
# Stopped from outside (make interrupted, a CI timeout): still stop everything and drop the database.
signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))


def wait_http(url, name, timeout, proc_name=None, status=200):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc_name and procs[proc_name][0].poll() is not None:
            raise Failure(f"{proc_name} exited:\n{tail(proc_name)}")
        try:
            if requests.get(url, timeout=2).status_code == status:
                return
        except requests.RequestException:
            pass
        time.sleep(0.3)
    raise Failure(f"{name} did not answer {url} in {timeout} s" + (f":\n{tail(proc_name)}" if proc_name else ""))


def png(width=40, height=30):
    """A small real PNG (the server decodes it and makes a thumbnail)."""
    raw = b"".join(
        b"\x00" + b"".join(bytes((x * 6 % 256, y * 8 % 256, 120)) for x in range(width))
        for y in range(height)
    )

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


# ---------------------------------------------------------------------------------------------
# docker-compose.yml, deploy/dex.yaml and deploy/nginx.conf agree with each other and the server.


def config_names():
    """Every environment variable the server reads: the `YGJ_…` names in crates/api/src (not its
    bench binaries), DATABASE_URL and RUST_LOG."""
    names = {"DATABASE_URL", "RUST_LOG"}
    for folder, dirs, files in os.walk(os.path.join(ROOT, "crates/api/src")):
        dirs[:] = [d for d in dirs if d != "bin"]
        for file in files:
            if file.endswith(".rs"):
                with open(os.path.join(folder, file), encoding="utf-8") as f:
                    names |= set(re.findall(r'"(YGJ_[A-Z0-9_]+)"', f.read()))
    return names


def compose_checks():
    env = {k: v for k, v in os.environ.items() if not k.startswith(("YGJ_", "NGINX_"))}
    missing = subprocess.run(
        ["docker", "compose", "-f", "docker-compose.yml", "config", "-q"],
        cwd=ROOT, env=env, capture_output=True, text=True, check=False,
    )
    check(missing.returncode != 0 and "YGJ_JWT_SECRET" in missing.stderr,
          "compose: refuses to start without YGJ_JWT_SECRET", missing.stderr)
    env["YGJ_JWT_SECRET"] = secrets.token_hex(32)
    result = subprocess.run(
        ["docker", "compose", "-f", "docker-compose.yml", "config", "--format", "json"],
        cwd=ROOT, env=env, capture_output=True, text=True, check=False,
    )
    check(result.returncode == 0, "compose: `docker compose config` accepts docker-compose.yml", result.stderr)
    services = json.loads(result.stdout)["services"]
    want = {"db", "minio", "minio-init", "dex", "server-1", "server-2", "nginx"}
    check(want <= set(services), "compose: db, minio (+ init), dex, two servers, nginx", sorted(services))
    s1, s2 = services["server-1"]["environment"], services["server-2"]["environment"]
    shared = ["DATABASE_URL", "YGJ_JWT_SECRET", "YGJ_S3_BUCKET", "YGJ_S3_ENDPOINT", "YGJ_SSO_CLIENT_ID"]
    check(all(s1.get(k) == s2.get(k) and s1.get(k) for k in shared),
          "compose: both servers share the database, secret, bucket and SSO client")
    unset = sorted(config_names() - set(s1))
    check(not unset, "compose: every setting the server reads is in the servers' environment", unset)
    for name in ("server-1", "server-2", "db", "minio", "nginx"):
        check("healthcheck" in services[name], f"compose: {name} has a health check")
    check(services["server-2"]["depends_on"]["server-1"]["condition"] == "service_healthy",
          "compose: server-2 starts once server-1 is ready (no concurrent migrations)")
    check(services["server-1"]["depends_on"]["minio-init"]["condition"] == "service_completed_successfully",
          "compose: the servers start after the bucket exists")
    ngx = services["nginx"]
    nenv = ngx["environment"]
    check(nenv["YGJ_UPSTREAM_1"].startswith("server-1:8080") and nenv["YGJ_UPSTREAM_2"].startswith("server-2:8080"),
          "compose: nginx balances server-1 and server-2")
    check(int(nenv["NGINX_MAX_BODY_MB"]) == 20 * int(s1["YGJ_MAX_UPLOAD_MB"]) + 1,
          "compose: nginx's body limit is 20 pages × YGJ_MAX_UPLOAD_MB + 1 MB")
    check(any(v.get("source", "").endswith("deploy/nginx.conf") for v in ngx.get("volumes", [])),
          "compose: nginx uses deploy/nginx.conf")
    mc = services["minio-init"]
    check(mc["environment"]["BUCKET"] == s1["YGJ_S3_BUCKET"]
          and services["minio"]["environment"]["MINIO_ROOT_USER"] == s1["YGJ_S3_ACCESS_KEY_ID"],
          "compose: the bucket and MinIO credentials are the servers' YGJ_S3_*")
    with open(os.path.join(ROOT, "deploy/dex.yaml"), encoding="utf-8") as f:
        dex = yaml.safe_load(f)
    client = dex["staticClients"][0]
    check(client["id"] == s1["YGJ_SSO_CLIENT_ID"] and client["redirectURIs"] == [s1["YGJ_SSO_REDIRECT_URL"]],
          "dex: its static client is YGJ_SSO_CLIENT_ID with YGJ_SSO_REDIRECT_URL")
    check(dex["issuer"] == s1["YGJ_SSO_ISSUER"] and s1["YGJ_SSO_AUTHORIZE_URL"].startswith("http://localhost:5556/dex/")
          and s1["YGJ_SSO_TOKEN_URL"].startswith("http://dex:5556/dex/"),
          "dex: issuer and endpoints match the servers' YGJ_SSO_* (browser: localhost, servers: dex)")
    check(services["dex"]["environment"].get(client["secretEnv"]) == s1["YGJ_SSO_CLIENT_SECRET"],
          "dex: the client secret is the servers' YGJ_SSO_CLIENT_SECRET")
    user = dex["staticPasswords"][0]
    check(bcrypt.checkpw(PASSWORD.encode(), user["hash"].encode()), "dex: the demo user's password is Demo@2026")


# ---------------------------------------------------------------------------------------------
# The topology on this machine.


def nginx_config(port, upstream_a, upstream_b, access_log):
    with open(os.path.join(ROOT, "deploy/nginx.conf"), encoding="utf-8") as f:
        template = f.read()
    values = {
        "YGJ_UPSTREAM_1": upstream_a,
        "YGJ_UPSTREAM_2": upstream_b,
        "NGINX_LISTEN": f"127.0.0.1:{port}",
        "NGINX_RESOLVER": "127.0.0.1",
        "NGINX_ACCESS_LOG": access_log,
        "NGINX_MAX_BODY_MB": str(NGINX_MAX_BODY_MB),
    }
    # Like the nginx image's envsubst: only these names; nginx's own $variables stay.
    rendered = re.sub(r"\$\{([A-Z0-9_]+)\}", lambda m: values.get(m.group(1), m.group(0)), template)
    left = re.findall(r"\$\{[A-Z0-9_]+\}", rendered)
    if left:
        raise Failure(f"deploy/nginx.conf has placeholders this test does not fill: {left}")
    base = os.path.join(tmp, "nginx")
    os.makedirs(base, exist_ok=True)
    os.chmod(base, 0o755)
    with open(os.path.join(base, "youguanjia.conf"), "w", encoding="utf-8") as f:
        f.write(rendered)
    main = f"""
worker_processes 1;
pid {base}/nginx.pid;
error_log {base}/error.log notice;
events {{ worker_connections 256; }}
http {{
    client_body_temp_path {base}/body;
    proxy_temp_path {base}/proxy;
    fastcgi_temp_path {base}/fastcgi;
    uwsgi_temp_path {base}/uwsgi;
    scgi_temp_path {base}/scgi;
    include {base}/youguanjia.conf;
}}
"""
    path = os.path.join(base, "nginx.conf")
    with open(path, "w", encoding="utf-8") as f:
        f.write(main)
    return base, path


def access_lines(path):
    with open(path, encoding="utf-8", errors="replace") as f:
        return f.read().splitlines()


def log_line(access_log, rid):
    """nginx's access-log line of the request whose X-Request-Id answer was `rid` (nginx writes
    it just after the answer, so wait a moment for it)."""
    for _ in range(40):
        for line in access_lines(access_log):
            if rid and f"upstream_request_id={rid}" in line:
                return line
        time.sleep(0.05)
    raise Failure(f"no access-log line for request id {rid!r}")


def served_by(access_log, response, addresses):
    """Which instance answered `response`, and nginx's log line of it."""
    line = log_line(access_log, response.headers.get("x-request-id", ""))
    upstream = re.search(r"upstream=(\S.*?) upstream_status=", line).group(1)
    last = upstream.split(",")[-1].strip()
    return addresses.get(last, last), line


def main():
    global database
    compose_checks()

    nginx_bin = shutil.which("nginx") or "/usr/sbin/nginx"
    # Database.
    database = f"ygj_deploy_{secrets.token_hex(4)}"
    subprocess.run(["psql", PG_ADMIN, "-q", "-c", f'CREATE DATABASE "{database}"'], check=True)
    parts = urllib.parse.urlsplit(PG_ADMIN)
    database_url = urllib.parse.urlunsplit(parts._replace(path=f"/{database}"))

    # S3.
    s3_port = free_port()
    s3_url = f"http://127.0.0.1:{s3_port}"
    start("moto", [os.path.join(VENV_BIN, "moto_server"), "-H", "127.0.0.1", "-p", str(s3_port)])
    wait_http(s3_url, "moto_server", 30, "moto")
    s3 = boto3.client("s3", endpoint_url=s3_url, region_name="us-east-1",
                      aws_access_key_id="deploy", aws_secret_access_key="deploy-secret")
    s3.create_bucket(Bucket=BUCKET)

    # The OAuth provider; it exits when its stdin closes.
    provider_in_r, provider_in_w = os.pipe()
    start("provider", ["node", "tests/sso/provider.mjs", "--client-id", SSO_CLIENT_ID,
                       "--client-secret", SSO_CLIENT_SECRET], stdin=provider_in_r)
    os.close(provider_in_r)
    provider = None
    for _ in range(100):
        with open(procs["provider"][1], encoding="utf-8", errors="replace") as f:
            found = re.search(r"^listening (\S+)", f.read(), re.M)
        if found:
            provider = found.group(1)
            break
        if procs["provider"][0].poll() is not None:
            raise Failure(f"the OAuth provider exited:\n{tail('provider')}")
        time.sleep(0.1)
    if not provider:
        raise Failure("the OAuth provider did not start")

    port_a, port_b, port_nginx = free_port(), free_port(), free_port()
    while len({port_a, port_b, port_nginx}) < 3:
        port_b, port_nginx = free_port(), free_port()
    base = f"http://127.0.0.1:{port_nginx}"
    url_a, url_b = f"http://127.0.0.1:{port_a}", f"http://127.0.0.1:{port_b}"
    jwt_secret = secrets.token_hex(32)
    common = {k: v for k, v in os.environ.items() if not k.startswith("YGJ_") and k != "DATABASE_URL"}
    common.update({
        "DATABASE_URL": database_url,
        "YGJ_JWT_SECRET": jwt_secret,
        "YGJ_FRONTEND_DIR": os.path.join(ROOT, "frontend/dist"),
        "YGJ_MAX_UPLOAD_MB": str(MAX_UPLOAD_MB),
        "YGJ_S3_BUCKET": BUCKET,
        "YGJ_S3_ENDPOINT": s3_url,
        "YGJ_S3_REGION": "us-east-1",
        "YGJ_S3_ACCESS_KEY_ID": "deploy",
        "YGJ_S3_SECRET_ACCESS_KEY": "deploy-secret",
        "YGJ_S3_PREFIX": PREFIX,
        "YGJ_SSO_CLIENT_ID": SSO_CLIENT_ID,
        "YGJ_SSO_CLIENT_SECRET": SSO_CLIENT_SECRET,
        "YGJ_SSO_ISSUER": provider,
        "YGJ_SSO_AUTHORIZE_URL": f"{provider}/authorize",
        "YGJ_SSO_TOKEN_URL": f"{provider}/token",
        "YGJ_SSO_USERINFO_URL": f"{provider}/userinfo",
        # The callback as the browser reaches it: through nginx.
        "YGJ_SSO_REDIRECT_URL": f"{base}/api/v1/auth/sso/callback",
        "RUST_LOG": "info",
    })
    started = time.time()
    start("instance-a", [BIN, "serve", "--demo", "--scale", "0.05"],
          env={**common, "YGJ_BIND": f"127.0.0.1:{port_a}", "YGJ_DATA_DIR": os.path.join(tmp, "a")})
    wait_http(f"{url_a}/readyz", "instance A", 300, "instance-a")
    log(f"instance A ready (demo loaded into PostgreSQL and S3) in {time.time() - started:.1f} s")
    start("instance-b", [BIN, "serve"],
          env={**common, "YGJ_BIND": f"127.0.0.1:{port_b}", "YGJ_DATA_DIR": os.path.join(tmp, "b")})
    wait_http(f"{url_b}/readyz", "instance B", 60, "instance-b")

    access_log = os.path.join(tmp, "nginx", "access.log")
    nginx_dir, nginx_conf = nginx_config(port_nginx, f"127.0.0.1:{port_a}", f"127.0.0.1:{port_b}", access_log)
    nginx_args = [nginx_bin, "-p", nginx_dir, "-c", nginx_conf, "-e", os.path.join(nginx_dir, "error.log")]
    test = subprocess.run([*nginx_args, "-t"], capture_output=True, text=True, check=False)
    check(test.returncode == 0, "nginx -t accepts deploy/nginx.conf as rendered", test.stderr)
    start("nginx", [*nginx_args, "-g", "daemon off;"])
    wait_http(f"{base}/healthz", "nginx", 20, "nginx")
    addresses = {f"127.0.0.1:{port_a}": "A", f"127.0.0.1:{port_b}": "B"}
    http = requests.Session()

    ready = http.get(f"{base}/readyz", timeout=5)
    check(ready.status_code == 200 and ready.json().get("database") == "postgres",
          "GET /readyz through nginx: ready on PostgreSQL", ready.text)
    check(http.get(f"{base}/healthz", timeout=5).status_code == 200, "GET /healthz through nginx")
    metrics = http.get(f"{base}/metrics", timeout=5)
    check(metrics.status_code == 404 and metrics.headers.get("content-type", "").startswith("application/problem+json"),
          "GET /metrics is not served through nginx (scraped from each instance)", metrics.status_code)

    login = http.post(f"{base}/api/v1/auth/login", json={"username": "admin", "password": PASSWORD}, timeout=30)
    check(login.status_code == 200, "sign in as admin through nginx", login.text)
    session = login.json()
    auth = {"Authorization": f"Bearer {session['access_token']}"}
    rid = login.headers.get("x-request-id", "")
    check(f"nginx_request_id={rid} " in log_line(access_log, rid),
          "the server keeps nginx's X-Request-Id: one id in nginx's log, the server's log and the answer", rid)

    served = {}
    for _ in range(12):
        me = http.get(f"{base}/api/v1/me", headers=auth, timeout=10)
        if me.status_code != 200:
            raise Failure(f"GET /api/v1/me: {me.status_code} {me.text}")
        who, _ = served_by(access_log, me, addresses)
        served[who] = served.get(who, 0) + 1
    check(set(served) == {"A", "B"}, f"nginx balances both instances (12 requests: {served})", served)

    # A document page: into the bucket, out through the other instance.
    clients = http.get(f"{base}/api/v1/clients?per_page=1", headers=auth, timeout=10).json()
    client_id = clients["items"][0]["id"]
    page = png()
    meta = {"doc_type": "business_licence", "number": "91430104MA4L0DEPLY", "issuer": "长沙市市场监督管理局",
            "valid_from": "2024-01-01", "long_term": True}
    forged = {"X-Forwarded-For": "203.0.113.9", "Forwarded": "for=203.0.113.9"}
    upload = http.post(f"{base}/api/v1/clients/{client_id}/documents", headers={**auth, **forged},
                       files={"meta": (None, json.dumps(meta)), "file": ("scan.png", page, "image/png")}, timeout=30)
    check(upload.status_code == 201, "upload a document page through nginx", upload.text)
    document = upload.json()
    uploader, _ = served_by(access_log, upload, addresses)
    key_prefix = f"{PREFIX}/documents/{client_id}/{document['id']}/"
    listed = s3.list_objects_v2(Bucket=BUCKET, Prefix=key_prefix).get("Contents", [])
    keys = sorted(o["Key"] for o in listed)
    check(len(keys) == 2 and keys[0].endswith(".png") and keys[1].endswith(".thumb.jpg"),
          "the page and its thumbnail are objects in the S3 bucket, under YGJ_S3_PREFIX", keys)
    stored = s3.get_object(Bucket=BUCKET, Key=keys[0])["Body"].read()
    check(hashlib.sha256(stored).digest() == hashlib.sha256(page).digest(), "the object holds the uploaded bytes")
    demo_objects = s3.list_objects_v2(Bucket=BUCKET, Prefix=f"{PREFIX}/demo/").get("KeyCount", 0)
    check(demo_objects > 0, f"the demo's placeholder pages went to the bucket too ({demo_objects} objects)")
    other_url = url_b if uploader == "A" else url_a
    fetched = requests.get(f"{other_url}/api/v1/documents/{document['id']}/file?page=1", headers=auth, timeout=10)
    check(fetched.status_code == 200 and fetched.content == page,
          f"instance {'B' if uploader == 'A' else 'A'} serves the page instance {uploader} stored", fetched.status_code)
    thumb = requests.get(f"{other_url}/api/v1/documents/{document['id']}/file?page=1&thumbnail=true",
                         headers=auth, timeout=10)
    check(thumb.status_code == 200 and thumb.content[:3] == b"\xff\xd8\xff", "and its JPEG thumbnail")
    audit = http.get(f"{base}/api/v1/audit?entity_id={document['id']}", headers=auth, timeout=10).json()
    entry = audit["items"][0]
    check(entry.get("ip", "").startswith("127.0.0.1") and entry.get("request_id") == upload.headers["x-request-id"],
          "the audit entry has the real client address (a forged X-Forwarded-For is replaced) and the request id",
          entry)

    # Limits: the server judges each page; nginx bounds the whole request; both answer problem+json.
    big_page = b"\x89PNG\r\n\x1a\n" + os.urandom(MAX_UPLOAD_MB * 1024 * 1024 + 1024)
    too_big_page = http.post(f"{base}/api/v1/clients/{client_id}/documents", headers=auth,
                             files={"meta": (None, json.dumps(meta)), "file": ("big.png", big_page, "image/png")},
                             timeout=30)
    body = too_big_page.json() if too_big_page.headers.get("content-type", "").startswith("application/problem+json") else {}
    check(too_big_page.status_code == 422 and body.get("errors", [{}])[0].get("code") == "too_large",
          f"a page over YGJ_MAX_UPLOAD_MB ({MAX_UPLOAD_MB} MB) passes nginx and gets the server's 422",
          f"{too_big_page.status_code} {too_big_page.text[:300]}")
    huge = os.path.join(tmp, "huge.bin")
    with open(huge, "wb") as f:
        f.write(os.urandom((NGINX_MAX_BODY_MB + 1) * 1024 * 1024))
    curl = subprocess.run(
        ["curl", "-sS", "-o", os.path.join(tmp, "huge.out"), "-w", "%{http_code} %{content_type}",
         "-H", f"Authorization: Bearer {session['access_token']}",
         "-F", f"meta={json.dumps(meta)}", "-F", f"file=@{huge};type=image/png",
         f"{base}/api/v1/clients/{client_id}/documents"],
        capture_output=True, text=True, check=False,
    )
    with open(os.path.join(tmp, "huge.out"), "rb") as f:
        answer = f.read()
    status, _, content_type = curl.stdout.partition(" ")
    problem = json.loads(answer) if content_type.startswith("application/problem+json") else {}
    check(status == "413" and problem.get("code") == "payload_too_large",
          f"a request over {NGINX_MAX_BODY_MB} MB is refused by nginx with problem+json 413",
          f"{curl.stdout} {answer[:300]!r} {curl.stderr}")

    # Single sign-on begun on A, called back on B, exchanged through nginx.
    admin_user = http.get(f"{base}/api/v1/users/{session['user']['id']}", headers=auth, timeout=10).json()
    no_redirects = {"allow_redirects": False, "timeout": 10}
    begin = requests.get(f"{url_a}/api/v1/auth/sso/start", **no_redirects)
    cookie = begin.headers.get("set-cookie", "").split(";")[0]
    authorize = begin.headers.get("location", "")
    claims = json.dumps({"sub": "deploy-admin", "employee_id": admin_user.get("employee_id")})
    back = requests.get(authorize + "&" + urllib.parse.urlencode({"claims": claims}), **no_redirects)
    callback = back.headers.get("location", "")
    check(begin.status_code == 302 and callback.startswith(f"{base}/api/v1/auth/sso/callback?"),
          "single sign-on starts on instance A; the provider sends the browser back through nginx",
          f"{begin.status_code} {callback}")
    landed = requests.get(callback.replace(base, url_b, 1), headers={"Cookie": cookie}, **no_redirects)
    ticket = urllib.parse.parse_qs(urllib.parse.urlsplit(landed.headers.get("location", "")).query).get("sso_ticket")
    check(landed.status_code in (302, 303) and ticket, "instance B takes the callback of A's sign-on",
          f"{landed.status_code} {landed.headers.get('location')}")
    exchanged = http.post(f"{base}/api/v1/auth/sso/exchange", json={"ticket": ticket[0]},
                          headers={"Cookie": cookie}, timeout=10)
    check(exchanged.status_code == 200 and exchanged.json()["user"]["username"] == "admin",
          "the ticket is exchanged for a session through nginx", exchanged.text)

    # Failover: instance A dies; nginx sends everything to B; A's tokens and sessions work there.
    stop("instance-a", signal.SIGKILL)
    failures, retried = [], 0
    for _ in range(10):
        me = http.get(f"{base}/api/v1/me", headers=auth, timeout=10)
        who, line = served_by(access_log, me, addresses) if me.status_code == 200 else (None, "")
        if me.status_code != 200 or who != "B":
            failures.append((me.status_code, who))
        retried += f"upstream={url_a[7:]}, {url_b[7:]} " in line
    check(not failures, "after instance A is killed, 10 of 10 requests through nginx succeed on B", failures)
    check(retried >= 1, f"nginx passed the requests A refused on to B ({retried} retried, then A was left out)")
    refreshed = http.post(f"{base}/api/v1/auth/refresh", json={"refresh_token": session["refresh_token"]}, timeout=10)
    check(refreshed.status_code == 200, "a refresh token issued by A rotates on B (POST through nginx)", refreshed.text)
    again = http.get(f"{base}/api/v1/documents/{document['id']}/file?page=1",
                     headers={"Authorization": f"Bearer {refreshed.json()['access_token']}"}, timeout=10)
    check(again.status_code == 200 and again.content == page, "the page still downloads through nginx")
    check(http.get(f"{base}/readyz", timeout=5).status_code == 200, "/readyz through nginx stays ready")

    # Both gone: nginx's own answer, in the API's format.
    stop("instance-b", signal.SIGKILL)
    down = http.get(f"{base}/api/v1/me", headers=auth, timeout=10)
    problem = down.json() if down.headers.get("content-type", "").startswith("application/problem+json") else {}
    check(down.status_code == 503 and problem.get("code") == "service_unavailable" and down.headers.get("retry-after"),
          "with no instance left nginx answers 503 problem+json with Retry-After", f"{down.status_code} {down.text[:200]}")
    log(f"whole run {time.time() - started:.1f} s after the first instance started")


if __name__ == "__main__":
    try:
        main()
    except Failure as e:
        failed += 1
        print(f"not ok {passed + failed} - {e}", flush=True)
        for name in procs:
            print(f"--- {name} (last lines) ---\n{tail(name, 25)}", flush=True)
    except Exception as e:  # noqa: BLE001 - any error is a failed run, with the logs
        failed += 1
        print(f"not ok {passed + failed} - {type(e).__name__}: {e}", flush=True)
        for name in procs:
            print(f"--- {name} (last lines) ---\n{tail(name, 25)}", flush=True)
    print(f"deploy: {passed} passed, {failed} failed", flush=True)
    sys.exit(1 if failed else 0)
