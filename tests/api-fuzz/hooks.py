"""A schemathesis check for the host's error contract (loaded through
SCHEMATHESIS_HOOKS by run.py).

`status_code_conformance` alone cannot pass: the OpenAPI document lists
per route only the route's own errors, while docs/rfc/http-api.md
("Errors common to every route") adds a table of errors every route may
answer (invalid JSON, missing credentials, a wrong content type, ...).
This check enforces both documents together, and more strictly:

- an error (4xx/5xx) is `application/json` and exactly
  `{"error": {"code": str, "message": str}}`;
- its status is documented for the route, or is one of the common ones;
- its `code` is one the route documents for that status (the backticked
  names in the response's description), or a common code of that status;
- a success status is one the route documents.
"""

import json
import re

import schemathesis

# docs/rfc/http-api.md, "Errors common to every route". 403 (perimeter) is
# left out on purpose: the fuzzer sends valid Host and Referer headers, so
# a perimeter refusal would be a bug. 500 is never acceptable.
COMMON = {
    400: {"invalid_json", "invalid_body", "invalid_query"},
    401: {"unauthorized"},
    404: {"no_route"},
    405: {"method_not_allowed"},
    413: {"body_too_large"},
    415: {"unsupported_media_type"},
    503: {"timeout"},
    507: {"storage_full"},
}

CODE = re.compile(r"`([a-z][a-z0-9_]*)`")


def _documented(case) -> dict:
    responses = case.operation.definition.raw.get("responses", {})
    out = {}
    for status, response in responses.items():
        if status.isdigit():
            out[int(status)] = set(CODE.findall(response.get("description", "")))
    return out


@schemathesis.check
def error_contract(ctx, response, case):
    status = response.status_code
    documented = _documented(case)
    if status < 400:
        if status not in documented:
            raise AssertionError(
                f"undocumented success status {status} (documented: {sorted(documented)})"
            )
        return None
    content_type = response.headers.get("content-type", [""])
    content_type = content_type[0] if isinstance(content_type, list) else content_type
    if not content_type.startswith("application/json"):
        raise AssertionError(f"error {status} is not application/json: {content_type!r}")
    try:
        body = json.loads(response.content)
    except ValueError:
        raise AssertionError(f"error {status} body is not JSON")
    error = body.get("error") if isinstance(body, dict) else None
    if (
        not isinstance(error, dict)
        or set(body) != {"error"}
        or set(error) != {"code", "message"}
        or not isinstance(error["code"], str)
        or not isinstance(error["message"], str)
    ):
        raise AssertionError(f'error {status} is not {{"error":{{"code","message"}}}}: {body!r}')
    code = error["code"]
    allowed = documented.get(status, set()) | COMMON.get(status, set())
    if status not in documented and status not in COMMON:
        raise AssertionError(
            f"undocumented status {status} (`{code}`); documented: {sorted(documented)}"
        )
    if code not in allowed:
        raise AssertionError(
            f"undocumented error code `{code}` for {status}; allowed: {sorted(allowed)}"
        )
    return None
