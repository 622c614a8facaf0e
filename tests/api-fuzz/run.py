#!/usr/bin/env python3
"""API fuzzing of the live host with schemathesis (run by scripts/test.sh).

Starts the real `agent-host serve` through the stdin handshake
(docs/rfc/handshake.md) on a throwaway user-data directory, with the
auth.json secret backend and a throwaway HOME, checks that the OpenAPI
document it serves at GET /openapi.json is the committed
docs/rfc/openapi.json, then runs the schemathesis CLI against the served
document with valid credentials (Basic Auth `agent:<password>`, a Referer
under an `extra_referers` root of the handshake, the Host header).

Checks: `not_a_server_error`, `response_schema_conformance`, and
`error_contract` (hooks.py): every error is the JSON error shape with a
status and code documented for the route, or one of the errors common to
every route (docs/rfc/http-api.md). That replaces schemathesis's
`status_code_conformance`, which cannot pass because the OpenAPI document
lists per route only the route's own errors.

Each host is seeded with a workspace, a document and a session whose ids
(and some real relative paths) the fuzzer uses in most generated requests,
so requests reach the handlers and not just the id lookups.

Two runs, each on a fresh host, so the fuzzer never talks to a real
provider (nothing is configured, so a turn is refused with 409
`provider_down` before any stream):

  1. every route except the provider and secret configuration;
  2. the configuration routes (secrets, providers) on a second host, where
     no turn is fuzzed, so a key or base URL the fuzzer stores is never used.

`GET /sessions/{id}/status` is an endless live feed by design and is left
out (a real id would hold a worker until the request timeout).

Usage: run.py [--host-bin PATH] [--max-examples N] [--seed N] [--keep]
Environment: SCHEMATHESIS (the CLI; default: next to this interpreter),
API_FUZZ_CHECKS (override the check list).
Exit status 0 when every run passed; 1 when schemathesis found a failure
or the host misbehaved (did not start, served a stale spec, died, logged a
panic, did not stop cleanly). The work directory (host logs, JUnit and
NDJSON reports, the generated config) is kept on failure.
"""

import argparse
import base64
import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
REFERER_ORIGIN = "http://fuzz.localhost"
REFERER_ROOT = "/fuzz"
REFERER = f"{REFERER_ORIGIN}{REFERER_ROOT}/"
CHECKS = os.environ.get(
    "API_FUZZ_CHECKS", "not_a_server_error,response_schema_conformance,error_contract"
)
CONFIG_ROUTES = r"^/(secrets|providers)"
# Streams that never end: each case would wait out the request timeout
# (GET /events made the run 8x longer). Their frames are tested in
# host/tests/it (events.rs, inproc/live.rs).
ENDLESS_ROUTES = r"^/sessions/\{id\}/status$|^/events$"
# Routes that call the configured provider (its model list, a test
# request): never fuzzed, so a base URL or key the fuzzer stored is never
# used. (`GET /local-models` asks only loopback ports and stays in.)
PROVIDER_CALLS = r"^/providers/\{provider\}/(models|test)$"


class Host:
    """`agent-host serve`, started through the handshake; stdin is its lifeline."""

    def __init__(self, binary: Path, workdir: Path, name: str):
        self.user_data = workdir / f"{name}-user-data"
        home = workdir / f"{name}-home"
        home.mkdir()
        self.password = secrets.token_urlsafe(32)
        self.log_path = workdir / f"{name}-host.log"
        self.log = open(self.log_path, "wb")
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(home),
            "AGENT_HOST_SECRET_BACKEND": "file",
            "AGENT_HOST_LOG": "info",
        }
        self.proc = subprocess.Popen(
            [str(binary), "serve"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.log,
            env=env,
        )
        handshake = {
            "protocol": 1,
            "password": self.password,
            "user_data": str(self.user_data),
            "allowed_origins": ["http://app.fuzz"],
            "referer_roots": ["/desktop"],
            "extra_referers": [{"origin": REFERER_ORIGIN, "root": REFERER_ROOT}],
        }
        self.proc.stdin.write((json.dumps(handshake) + "\n").encode())
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()  # the host gives up after 15 s itself
        if not line:
            self.proc.wait(5)
            self.log.close()
            sys.exit(
                f"api-fuzz: host exited before ready ({self.proc.returncode}):\n{self.log_text()}"
            )
        ready = json.loads(line)
        assert ready["event"] == "ready", ready
        self.port = ready["port"]
        self.base = f"http://127.0.0.1:{self.port}"

    def call(self, method: str, path: str, body=None) -> tuple[int, bytes]:
        token = base64.b64encode(f"agent:{self.password}".encode()).decode()
        headers = {"Authorization": f"Basic {token}", "Referer": REFERER}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        req = urllib.request.Request(self.base + path, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                return r.status, r.read()
        except urllib.error.HTTPError as e:
            return e.code, e.read()
        except OSError as e:
            return 0, str(e).encode()

    def create(self, method: str, path: str, body) -> dict:
        status, answer = self.call(method, path, body)
        if status != 200:
            raise RuntimeError(f"seeding {method} {path} answered {status}: {answer!r}")
        return json.loads(answer)

    def log_text(self) -> str:
        if not self.log.closed:
            self.log.flush()
        return self.log_path.read_text(errors="replace")

    def stop(self) -> int:
        """Closes stdin (the host drains and exits 0); kills it after 10 s."""
        try:
            self.proc.stdin.close()
            return self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            return -9
        finally:
            self.log.close()


def seed(host: Host, workdir: Path, name: str) -> Path:
    """Real resources for the fuzzer to hit, besides the random ids it makes
    up: a workspace with a few files, a document inside it, a session on the
    workspace. Written as schemathesis dictionaries: path parameters and body
    fields that name a resource take a real id (or a real relative path) in
    most cases, a generated value otherwise. DELETE routes get generated ids
    only, so the seeded resources live through the run. Returns the config
    file (which also holds the credentials, read from the environment)."""
    ws = workdir / f"{name}-workspace"
    (ws / "sub").mkdir(parents=True)
    (ws / "a.txt").write_text("alpha\n")
    (ws / "sub" / "b.md").write_text("# beta\n")
    (ws / "sub" / "latin1.txt").write_bytes(b"caf\xe9\n")
    doc = ws / "doc.md"
    doc.write_text("# a document\n")
    workspace_id = host.create("POST", "/workspaces", {"path": str(ws)})["id"]
    doc_id = host.create("POST", "/documents", {"path": str(doc)})["doc_id"]
    session_id = host.create(
        "POST", "/sessions", {"title": "fuzz", "workspace_id": workspace_id}
    )["id"]
    rel_paths = ["a.txt", "sub", "sub/b.md", "sub/latin1.txt", "doc.md", "", ".", "new.txt", "sub/new.md"]
    abs_paths = [str(doc), str(ws), str(ws / "a.txt"), str(ws / "sub")]

    def values(items):
        return "[" + ", ".join(json.dumps(i) for i in items) + "]"

    def bind(dictionary, probability=0.6):
        return f'{{ dictionary = "{dictionary}", probability = {probability} }}'

    config = workdir / f"{name}-schemathesis.toml"
    config.write_text(
        f"""
[auth]
basic = {{ username = "agent", password = "${{API_FUZZ_PASSWORD}}" }}

[dictionaries.workspace_ids]
values = {values([workspace_id])}
[dictionaries.doc_ids]
values = {values([doc_id])}
[dictionaries.session_ids]
values = {values([session_id])}
[dictionaries.rel_paths]
values = {values(rel_paths)}
[dictionaries.abs_paths]
values = {values(abs_paths)}

[[operations]]
include-method = ["GET", "PUT", "POST", "PATCH"]
include-path-regex = '^/workspaces/\\{{id\\}}'
parameters = {{ "path.id" = {bind("workspace_ids")}, "query.path" = {bind("rel_paths")}, "body.path" = {bind("rel_paths")} }}

[[operations]]
include-method = ["GET", "PUT", "POST", "PATCH"]
include-path-regex = '^/(documents|recent)/\\{{doc_id\\}}'
parameters = {{ "path.doc_id" = {bind("doc_ids")} }}

[[operations]]
include-path-regex = '^/(documents|workspaces|recent)$'
parameters = {{ "body.path" = {bind("abs_paths")}, "body.doc_id" = {bind("doc_ids")} }}

[[operations]]
include-method = ["GET", "PUT", "POST", "PATCH"]
include-path-regex = '^/sessions/\\{{id\\}}'
parameters = {{ "path.id" = {bind("session_ids")} }}

[[operations]]
include-path-regex = '^/sessions$'
parameters = {{ "body.workspace_id" = {bind("workspace_ids")} }}
"""
    )
    return config


def served_spec_problem(host: Host) -> str | None:
    status, body = host.call("GET", "/openapi.json")
    if status != 200:
        return f"GET /openapi.json answered {status}"
    committed = json.loads((ROOT / "docs/rfc/openapi.json").read_text())
    if json.loads(body) != committed:
        return "the served /openapi.json differs from docs/rfc/openapi.json (UPDATE_OPENAPI=1 cargo test -p agent-host --test it api::)"
    return None


def fuzz(host: Host, schemathesis: str, config: Path, filters: list[str], args, name: str, workdir: Path) -> int:
    command = [
        schemathesis,
        "--config-file", str(config),
        "run",
        f"{host.base}/openapi.json",
        "--header", f"Referer: {REFERER}",
        "--header", f"Host: 127.0.0.1:{host.port}",
        "--checks", CHECKS,
        "--max-examples", str(args.max_examples),
        "--seed", str(args.seed),
        "--workers", "2",
        "--request-timeout", "10",
        "--generation-database", "none",
        "--continue-on-failure",
        "--no-color",
        "--output-sanitize", "true",
        "--report", "junit,ndjson",
        "--report-junit-path", str(workdir / f"{name}.junit.xml"),
        "--report-ndjson-path", str(workdir / f"{name}.ndjson"),
        *filters,
    ]
    print("api-fuzz:", " ".join(command), flush=True)
    env = dict(
        os.environ,
        API_FUZZ_PASSWORD=host.password,
        SCHEMATHESIS_HOOKS=str(HERE / "hooks.py"),
    )
    started = time.monotonic()
    # In the work directory: schemathesis keeps a cache (.schemathesis/) there.
    code = subprocess.call(command, env=env, cwd=workdir)
    print(f"api-fuzz [{name}]: schemathesis exit {code} in {time.monotonic() - started:.1f}s", flush=True)
    return code


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--host-bin", default=str(ROOT / "target/debug/agent-host"))
    parser.add_argument("--max-examples", type=int, default=20, help="per operation and phase")
    parser.add_argument("--seed", type=int, default=20240601)
    parser.add_argument("--keep", action="store_true", help="keep the work directory")
    args = parser.parse_args()
    schemathesis = os.environ.get("SCHEMATHESIS") or str(Path(sys.executable).with_name("schemathesis"))
    binary = Path(args.host_bin)
    if not binary.exists():
        sys.exit(f"api-fuzz: {binary} not built (cargo build -p agent-host)")

    workdir = Path(tempfile.mkdtemp(prefix="api-fuzz-"))
    runs = [
        ("api", ["--exclude-path-regex", f"{CONFIG_ROUTES}|{ENDLESS_ROUTES}"]),
        ("config", ["--include-path-regex", CONFIG_ROUTES, "--exclude-path-regex", PROVIDER_CALLS]),
    ]
    failed = False
    started = time.monotonic()
    try:
        for name, filters in runs:
            host = Host(binary, workdir, name)
            problems = []
            try:
                if problem := served_spec_problem(host):
                    problems.append(problem)
                config = seed(host, workdir, name)
                code = fuzz(host, schemathesis, config, filters, args, name, workdir)
                if code != 0:
                    problems.append(f"schemathesis failed (exit {code})")
                status, _ = host.call("GET", "/health")
                if status != 200:
                    problems.append(f"/health answered {status} after the run")
            finally:
                exit_code = host.stop()
            if exit_code != 0:
                problems.append(f"the host exited {exit_code} when stopped")
            log = host.log_text()
            if "panicked" in log:
                problems.append("the host logged a panic")
            if problems:
                failed = True
                tail = "\n".join(log.splitlines()[-40:])
                print(f"api-fuzz [{name}]: " + "; ".join(problems) + f"\nhost log tail:\n{tail}", flush=True)
            else:
                print(f"api-fuzz [{name}]: ok", flush=True)
    finally:
        print(f"api-fuzz: {time.monotonic() - started:.1f}s", flush=True)
        if args.keep or failed:
            print(f"api-fuzz: work directory kept: {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
