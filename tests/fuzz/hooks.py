"""Schemathesis hooks for tests/fuzz/run.sh (loaded through SCHEMATHESIS_HOOKS).

The fuzz session signs in as the demo administrator. Two kinds of generated request would end
that session for good, and every later case would then test nothing but the 401 path:

* `POST /api/v1/auth/logout` ends the session it is sent with. That one needs no special case:
  the auth provider below signs in again when a request answers 401 (schemathesis refreshes
  the credential and replays the request), so logout is fuzzed like any other route.
* `PATCH /api/v1/users/{id}` on the administrator's own id can deactivate them, reset their
  password, take away the admin role or move them out of the province; the first two make a
  new sign-in impossible, the others turn every later answer into 403/404. Only for that one id
  do we drop those four fields from the body before it is sent; every other field, and every
  other user, is fuzzed as generated.
"""

import functools
import json
import os
import re

import jsonschema_rs
import requests
import schemathesis

BASE_URL = os.environ["YGJ_FUZZ_BASE_URL"]
USERNAME = os.environ.get("YGJ_FUZZ_USERNAME", "admin")
PASSWORD = os.environ.get("YGJ_FUZZ_PASSWORD", "Demo@2026")
ADMIN_ID = os.environ["YGJ_FUZZ_ADMIN_ID"]

# Fields of UpdateUser that would lock the fuzz session's own user out.
SESSION_ENDING_FIELDS = ("active", "password", "role", "org_unit_id")


# Access tokens live 15 minutes by default; sign in again well before that.
@schemathesis.auth(refresh_interval=300)
class SignIn:
    """A bearer token from the password sign-in of the fuzz user."""

    def get(self, case, context):
        response = requests.post(
            f"{BASE_URL}/api/v1/auth/login",
            json={"username": USERNAME, "password": PASSWORD},
            timeout=30,
        )
        response.raise_for_status()
        return response.json()["access_token"]

    def set(self, case, data, context):
        case.headers = case.headers or {}
        case.headers["Authorization"] = f"Bearer {data}"


@schemathesis.hook
def before_call(context, case, kwargs):
    operation = case.operation
    if operation.method.upper() != "PATCH" or operation.path != "/api/v1/users/{id}":
        return
    if str((case.path_parameters or {}).get("id", "")).lower() != ADMIN_ID.lower():
        return
    if isinstance(case.body, dict):
        for field in SESSION_ENDING_FIELDS:
            case.body.pop(field, None)


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


# Schemathesis knows no serializer for spreadsheets; the target import takes the bytes as sent.
@schemathesis.serializer(XLSX)
def xlsx_bytes(context, value):
    if isinstance(value, (bytes, bytearray)):
        data = bytes(value)
    elif isinstance(value, str):
        data = value.encode()
    else:
        data = json.dumps(value).encode()
    return {"data": data}


# --- positive_data_acceptance: which "schema-valid request rejected" failures are real ---------
#
# The check sends data that schemathesis takes to match the spec and fails on a rejection. Two
# kinds of such data do not in fact match it, or match it only in a sense no JSON parser shares;
# a 400 for them is right, and those failures (and only those) are dropped here:
# * the body does not validate against the operation's request schema at all (JSON Schema
#   2020-12, formats asserted): schemathesis 4.32 labels some coverage values positive that are
#   not, e.g. "0" for an object inside a map, or "" for a `format: uuid` string (2020-12 makes
#   formats annotations unless asserted; the server, rightly, parses a UUID field as a UUID);
# * an integer sent as an integral float (`21.0`): JSON Schema counts it as an integer, serde's
#   integers (and most JSON APIs) do not, and the 400 names the field and the float.
# Everything else — any 400 for a body that truly conforms, any 5xx — stays a failure.

FLOAT_FOR_INTEGER = re.compile(r"invalid type: floating point `-?[0-9]+\.0`, expected [ui][0-9]+")


@functools.cache
def _spec():
    return requests.get(f"{BASE_URL}/api-docs/openapi.json", timeout=30).json()


@functools.cache
def _body_validator(method, path):
    operation = _spec()["paths"][path][method.lower()]
    content = operation.get("requestBody", {}).get("content", {}).get("application/json")
    if content is None:
        return None
    defs = json.loads(json.dumps(_spec()["components"]["schemas"]).replace("#/components/schemas/", "#/$defs/"))
    schema = json.loads(json.dumps(content["schema"]).replace("#/components/schemas/", "#/$defs/"))
    return jsonschema_rs.Draft202012Validator({**schema, "$defs": defs}, validate_formats=True)


def _problem_messages(response):
    try:
        problem = response.json()
    except ValueError:
        return []
    messages = [e.get("message", "") for e in problem.get("errors", [])]
    return messages or [problem.get("detail", "")]


@schemathesis.hook
def filter_failure(context, failure, case, response):
    if getattr(failure, "code", None) != "ST202" or response.status_code != 400:
        return True
    if not isinstance(case.body, (dict, list)):
        return True
    validator = _body_validator(case.operation.method, case.operation.path)
    if validator is None:
        return True
    messages = _problem_messages(response)
    if not validator.is_valid(case.body):
        return _dropped(case, "body does not match the spec", messages)
    if messages and all(FLOAT_FOR_INTEGER.search(m) for m in messages):
        return _dropped(case, "integral float for an integer", messages)
    return True


def _dropped(case, reason, messages):
    """Records a dropped failure in $YGJ_FUZZ_DROPPED (one JSON line each), for review."""
    path = os.environ.get("YGJ_FUZZ_DROPPED")
    if path:
        with open(path, "a", encoding="utf-8") as log:
            line = {"operation": case.operation.label, "reason": reason, "server": messages}
            log.write(json.dumps(line, ensure_ascii=False) + "\n")
    return False
