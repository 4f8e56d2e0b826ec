"""Python's standard logging writing logwharf's log schema (docs/log-schema.md).

    import logging, sys
    from logwharf_logging import LogwharfFormatter, request_scope

    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(LogwharfFormatter(service="billing", version="1.2.0", env="production"))
    logging.basicConfig(level=logging.INFO, handlers=[handler])

    with request_scope(request.headers):          # X-Request-ID and traceparent, or new ones
        logging.getLogger(__name__).info("charged", extra={"amount": 12})
"""
import contextlib
import contextvars
import json
import logging
import re
import secrets
import traceback
import uuid
from datetime import datetime, timezone

# Python's level names as the schema writes them: WARNING is warn, CRITICAL is fatal.
LEVELS = {"DEBUG": "debug", "INFO": "info", "WARNING": "warn", "ERROR": "error", "CRITICAL": "fatal"}

# The request being handled: request_id, trace_id, span_id and extra fields (a dict), or None.
current_request = contextvars.ContextVar("logwharf_request", default=None)

_TRACEPARENT = re.compile(r"^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(?:-.*)?$")
_REQUEST_ID = re.compile(r"^[\x21-\x7e]{1,128}$")
# Attributes every LogRecord has: anything else on a record came from `extra=`.
_RECORD_ATTRS = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime", "taskName"}
_MAX_CAUSE_DEPTH = 5


def context_from_headers(headers):
    """The request context for incoming headers (a dict-like): their X-Request-ID and traceparent's
    trace when usable, else new ones, and a new span of this service."""
    get = (lambda k: headers.get(k) or headers.get(k.lower())) if headers else (lambda k: None)
    rid = get("X-Request-ID")
    m = _TRACEPARENT.match((get("traceparent") or "").strip().lower())
    valid = m and m.group(1) != "ff" and m.group(2) != "0" * 32 and m.group(3) != "0" * 16
    return {
        "request_id": rid if rid and _REQUEST_ID.match(rid) else str(uuid.uuid4()),
        "trace_id": m.group(2) if valid else secrets.token_hex(16),
        "span_id": secrets.token_hex(8),
        "trace_flags": m.group(4) if valid else "01",
        "fields": {},
    }


@contextlib.contextmanager
def request_scope(headers=None, **fields):
    """Every line logged inside carries the request, in asyncio tasks started inside too (a thread only
    when run in `contextvars.copy_context()`: threads do not inherit context variables)."""
    ctx = context_from_headers(headers)
    ctx["fields"].update(fields)
    token = current_request.set(ctx)
    try:
        yield ctx
    finally:
        current_request.reset(token)


def _error(exc, depth=0):
    err = {
        "type": type(exc).__name__,
        "message": str(exc),
        "stack": "".join(traceback.format_exception(type(exc), exc, exc.__traceback__)),
    }
    cause = exc.__cause__ or (None if exc.__suppress_context__ else exc.__context__)
    if cause is not None and depth < _MAX_CAUSE_DEPTH:
        err["cause"] = _error(cause, depth + 1)
    return err


class LogwharfFormatter(logging.Formatter):
    """One JSON object per record, each key once. The formatter's own keys (level, time, service,
    version, env, msg, err) win over `extra=` fields, which win over the request's fields."""

    def __init__(self, service, version=None, env=None):
        super().__init__()
        self.base = {"service": service}
        if version is not None:
            self.base["version"] = version
        if env is not None:
            self.base["env"] = env

    def format(self, record):
        created = datetime.fromtimestamp(record.created, timezone.utc)
        line = {
            "level": LEVELS.get(record.levelname, record.levelname.lower()),
            "time": created.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (created.microsecond // 1000),
        }
        line.update(self.base)
        own = set(line) | {"msg", "err"}
        ctx = current_request.get()
        if ctx is not None:
            for k in ("request_id", "trace_id", "span_id"):
                line[k] = ctx[k]
            for k, v in ctx["fields"].items():
                if k not in own and k not in line:
                    line[k] = v
        for k, v in record.__dict__.items():
            if k not in _RECORD_ATTRS and k not in own and not k.startswith("_"):
                line[k] = v
        if record.exc_info and record.exc_info[1] is not None:
            line["err"] = _error(record.exc_info[1])
        line["msg"] = record.getMessage()
        return json.dumps(line, default=str, ensure_ascii=False, separators=(",", ":"))
