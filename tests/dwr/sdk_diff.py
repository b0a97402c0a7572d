"""Differential harness: ``AsyncDwrClient`` and ``huaweicloudsdkdwr`` (3.1.219) against one
byte recorder.

A raw HTTP server on 127.0.0.1 records every request (method, path and query as sent,
headers in order, body bytes) and answers each with a canned answer from a queue. Both
clients send the same call with the same arguments (ours from plain dicts, the SDK's
from its model classes), get the same answer, and :func:`run` compares:

- the requests: method, path and query, body bytes, and the headers the SDK signs
  (``Authorization``, ``Host``, ``Content-Type``, ``User-Agent``, ``X-Project-Id``,
  ``X-Sdk-Date``, ``X-Security-Token``);
- the parsed answers, field by field (every attribute of the SDK's response model,
  nested models and lists included);
- the errors: status, code, message, request id.

The differences we intend are listed once, in :data:`INTENDED` (and in the "Differences
from the SDK" table of ``docs/dwr-v3.md``); the comparison allows exactly those.
Arguments and answers come from a seeded generator, so a run is reproducible.

``python -m tests.dwr.sdk_diff`` prints the counts per call.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from enum import Enum
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import requests
from huaweicloudsdkcore.auth.credentials import BasicCredentials
from huaweicloudsdkcore.exceptions.exception_handler import DefaultExceptionHandler
from huaweicloudsdkcore.exceptions.exceptions import ServiceResponseException
from huaweicloudsdkcore.http.http_config import HttpConfig
from huaweicloudsdkdwr.v3 import DwrClient
from huaweicloudsdkdwr.v3 import model as m

from obs_workflow_async._config import Runtime
from obs_workflow_async.dwr import AsyncDwrClient
from obs_workflow_async.errors import APIStatusError

AK, SK, PID = (
    "EXAMPLEAK0000000001Z",
    "EXAMPLESKexampleSKexampleSKexampleSK0001",
    "0123456789abcdef0123456789abcdef",
)
DATE = datetime(2025, 1, 1, tzinfo=timezone.utc)
SDK_DATE = "20250101T000000Z"
SDK_UA = "huaweicloud-usdk-python/3.0; demo"
SIGNED = (
    "authorization",
    "host",
    "content-type",
    "user-agent",
    "x-project-id",
    "x-sdk-date",
    "x-security-token",
)
"""The request headers compared (the ones the SDK signs, and the signature)."""
HEADER_ATTRS = {"x_request_id", "connection", "content_length", "date", "content_type"}
"""Response-model attributes the SDK fills from headers, compared as ``request_id``."""

INTENDED: dict[str, str] = {
    # sending
    "unsigned-headers": "Accept, Accept-Encoding, Connection, Content-Length are aiohttp's "
    "(not signed, not compared)",
    "user-agent": "the default User-Agent is obs-workflow-async/<version> (pass user_agent= "
    "for the SDK's)",
    "bare-host": "an endpoint without a scheme means https://host (the SDK cannot use it)",
    "project-id": "no project id: discovered through IAM with region=, else ProjectIdError "
    "before anything is sent (SDK: a literal {project_id} in the path)",
    "validation": "arguments are checked before sending (names, offset and limit ranges, "
    "agreement types, strict body types); nothing is sent (SDK: sent as given)",
    "start-inputs": "start inputs are the map the docs show, sent as given (SDK: typed as one "
    "Input model, though a dict passes through unchanged)",
    "extras": "fields the SDK models do not know are kept (model_extra) and, in request "
    "bodies, sent after the known ones (the SDK's models cannot carry them)",
    "retries": "429, 503 and connection failures are retried with backoff (max_retries=3); "
    "500/502/504 and read timeouts only for GET/PUT/DELETE: a POST that may have run is "
    "not resent (SDK: no retries)",
    # errors
    "429": "a 429 answer is read like any other error (code, message, X-Request-Id); the SDK "
    "(retry_times=0) raises urllib3's RetryError text as the message with request id ''",
    "3xx": "a 1xx or 3xx answer is an APIStatusError (SDK: a success below 400)",
    "error-classes": "ClientRequestException/ServerResponseException become the status "
    "classes, and the gateway codes pick theirs (APIG.0308 RateLimitError)",
    "non-text-code": "a code or message that is not a string reads as its JSON text "
    '(SDK: the int or object itself; 123 -> "123")',
    "body-request-id": "without an X-Request-Id header, request_id is the error body's "
    "request_id (SDK: None)",
    "encoded-auth": "encoded_authorization_message is not a field: read it from .body",
    # answers
    "non-json-2xx": "a 2xx answer that is not JSON raises ResponseParseError for calls that "
    "return fields (SDK: a response with every field None)",
    "empty-text": 'a text field sent as "" reads as None (SDK: "")',
    "non-text": "a text field holding a bool, list or object reads as None (SDK: str() of it)",
    "flag-text": 'is_truncated sent as "false" reads as False (SDK: bool("false") is True)',
    "times": "time fields read as aware datetimes (SDK: the string; node times: the int)",
    "null-items": "null list items are dropped (SDK: kept as None)",
    "enum-lost": "register_status is kept as sent (SDK: an empty PublicTemplateRegisterType "
    "for values not in its enum)",
    "provided-actions-list": "provided_actions reads as a list of the JSON objects sent, "
    "whether the answer has one object (public, mine) or a list (system); the SDK keeps "
    "its ProvidedAction models",
    "execution-name": 'a listed execution without execution_name reads as "" (SDK: None)',
    "requested-name": "a restore answer without execution_name takes the name asked for "
    "(SDK: None); so does an execution detail without execution_id",
    "detail-names": "an execution detail also fills the v2 names (execution_name, "
    "execution_state, graph_urn, started_at, stopped_at); its own headers field is "
    "execution_headers; a v2 execution_info body reads too",
    "start-needs-name": "a start answer naming no execution raises ResponseParseError "
    "(the execution may have started; SDK: a response with None)",
    "start-date": "a start answer without started_at takes the answer's Date header (SDK: None)",
}
"""The differences we intend; each is allowed by name below, and listed in the docs."""

# -- the byte recorder --------------------------------------------------------------------


@dataclass
class Recorded:
    method: str
    target: str
    headers: list[tuple[str, str]]
    body: bytes

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers if k.lower() == name), None)


@dataclass
class Answer:
    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)


class Recorder:
    """A loopback HTTP/1.1 server: records each request and answers from ``answers``."""

    def __init__(self) -> None:
        self.requests: list[Recorded] = []
        self.answers: list[Answer] = []
        self._connections: set[socket.socket] = set()
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True

            def setup(self) -> None:
                super().setup()
                recorder._connections.add(self.connection)

            def finish(self) -> None:
                recorder._connections.discard(self.connection)
                super().finish()

            def _any(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                recorder.requests.append(
                    Recorded(self.command, self.path, list(self.headers.items()), body)
                )
                answer = recorder.answers.pop(0) if recorder.answers else Answer(200, b"{}")
                self.send_response(answer.status)
                for name, value in answer.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(answer.body)))
                self.end_headers()
                self.wfile.write(answer.body)

            do_GET = do_POST = do_PUT = do_DELETE = _any  # noqa: N815 - http.server's names

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = False
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def __enter__(self) -> Recorder:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        for connection in list(self._connections):  # idle keep-alive: end its thread
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
        self._server.server_close()  # joins every handler thread
        self._thread.join()

    def prime(self, answer: Answer) -> None:
        """Answer the next request with ``answer`` (and forget the requests so far)."""
        self.requests.clear()
        self.answers[:] = [answer]

    def sent(self) -> Recorded | None:
        """The one request sent since :meth:`prime` (``None``: nothing was sent)."""
        assert len(self.requests) <= 1, f"{len(self.requests)} requests sent"
        return self.requests[0] if self.requests else None


# -- the two clients -------------------------------------------------------------------


def sdk_client(endpoint: str, token: str | None) -> DwrClient:
    creds = BasicCredentials(AK, SK, PID)
    if token is not None:
        creds = creds.with_security_token(token)
    client = (
        DwrClient.new_builder()
        .with_http_config(HttpConfig(user_agent="demo"))
        .with_credentials(creds)
        .with_endpoints([endpoint])
        .build()
    )
    client.get_http_client()._session.trust_env = False  # no proxy for the loopback
    return client


def sdk_send(client: DwrClient, method: str, request: object) -> object:
    """The SDK's call, with the clock pinned as ours is (the signer keeps a given date)."""
    info = getattr(client, f"_{method}_http_info")(request)
    info["header_params"]["X-Sdk-Date"] = SDK_DATE
    return client._call_api(**info)  # private: the official SDK's own send


def ours_client(endpoint: str, token: str | None) -> AsyncDwrClient:
    """Ours, as the SDK is set up: same keys, project, User-Agent, clock; no retries."""
    return AsyncDwrClient(
        endpoint=endpoint,
        project_id=PID,
        access_key_id=AK,
        secret_access_key=SK,
        security_token=token,
        user_agent=SDK_UA,
        max_retries=0,
        environ={},
        runtime=Runtime(wall_clock=lambda: DATE),
    )


# -- generated arguments --------------------------------------------------------------

_WORDS = ["a", "demo", "in/a.mp4", "é", "工作流", "😀", 'q"uote', "back\\slash", "t\tab", "x y"]


def _text(rng: random.Random) -> str:
    return "".join(rng.choice(_WORDS) for _ in range(rng.randint(1, 3)))


def _json(rng: random.Random, depth: int = 0) -> Any:
    kinds = ["str", "int", "float", "bool", "null"] + (["list", "dict"] if depth < 2 else [])
    kind = rng.choice(kinds)
    if kind == "str":
        return _text(rng)
    if kind == "int":
        return rng.choice([0, 1, -7, 10**12, 2**63])
    if kind == "float":
        return rng.choice([1.5, -0.25, 1e20, 3.0])
    if kind == "bool":
        return rng.random() < 0.5
    if kind == "null":
        return None
    if kind == "list":
        return [_json(rng, depth + 1) for _ in range(rng.randint(0, 3))]
    return {_text(rng): _json(rng, depth + 1) for _ in range(rng.randint(0, 3))}


def _some(
    rng: random.Random, fields: dict[str, Callable[[], Any]], required: tuple[str, ...]
) -> dict[str, Any]:
    """A random subset of ``fields`` (``required`` always), keys in a random order."""
    keys = [k for k in fields if k in required or rng.random() < 0.5]
    rng.shuffle(keys)
    return {k: fields[k]() for k in keys}


def _input(rng: random.Random) -> dict[str, Any]:
    return _some(
        rng,
        {
            "parameter_name": lambda: _text(rng),
            "type": lambda: rng.choice(["string", "integer", "map"]),
            "value_type": lambda: rng.choice(["string", "integer", "float"]),
            "template_parameter_name": lambda: _text(rng),
            "parameter_value": lambda: _text(rng),
            "description": lambda: _text(rng),
            "default": lambda: _text(rng),
            "label": lambda: _text(rng),
            "constraints": lambda: {"valid_values": [_text(rng)], "regex": "^a$", "x": None},
            "invisible": lambda: rng.random() < 0.5,
        },
        ("parameter_name", "type"),
    )


def _action(rng: random.Random) -> dict[str, Any]:
    return _some(
        rng,
        {
            "action_name": lambda: _text(rng),
            "action_agency": lambda: _text(rng),
            "function": lambda: "urn:fss:cn-south-1:p:function:default:f:latest",
            "function_template": lambda: _text(rng),
            "action_template_name": lambda: _text(rng),
            "action_template_category": lambda: "MediaProcess",
            "action_template_provider_name": lambda: _text(rng),
            "invocation_mode": lambda: rng.choice(["SYNC", "ASYNC"]),
            "timeout": lambda: rng.randint(1, 3600),
            "payload_filter": lambda: "$",
            "dynamic_source": lambda: {_text(rng): _json(rng) for _ in range(rng.randint(0, 3))},
            "results": lambda: [
                _some(
                    rng,
                    {
                        "match": lambda: "$.ok",
                        "retry_interval": lambda: rng.randint(1, 60),
                        "max_retry": lambda: rng.randint(0, 5),
                        "next_state": lambda: _text(rng),
                        "is_terminal": lambda: rng.random() < 0.5,
                    },
                    (),
                )
                for _ in range(rng.randint(0, 2))
            ],
        },
        ("action_name",),
    )


def _state(rng: random.Random) -> dict[str, Any]:
    return _some(
        rng,
        {
            "start": lambda: rng.random() < 0.5,
            "type": lambda: rng.choice(["DELAY", "OPERATION", "END"]),
            "payload_filter_in": lambda: "$",
            "payload_filter_out": lambda: "$.out",
            "state_name": lambda: _text(rng),
            "action_mode": lambda: rng.choice(["sequential", "parallel"]),
            "actions": lambda: [_action(rng) for _ in range(rng.randint(0, 2))],
            "next_state": lambda: _text(rng),
            "time_delay": lambda: rng.randint(0, 100),
        },
        ("type", "state_name"),
    )


def workflow_definition(rng: random.Random) -> dict[str, Any]:
    return _some(
        rng,
        {
            "states": lambda: [_state(rng) for _ in range(rng.randint(0, 3))],
            "inputs": lambda: [_input(rng) for _ in range(rng.randint(0, 2))],
            "description": lambda: _text(rng),
            "mode": lambda: rng.choice(["EXPRESS", "NORMAL"]),
            "express_config": lambda: _some(
                rng,
                {"log_level": lambda: "ALL", "support_anonymous": lambda: rng.random() < 0.5},
                (),
            ),
            "func_vpc": lambda: _some(
                rng,
                {
                    k: (lambda k=k: f"{k}-{rng.randint(0, 9)}")
                    for k in ("vpc_id", "subnet_id", "vpc_name", "subnet_name", "cidr", "gateway")
                },
                (),
            ),
            "agency": lambda: _text(rng),
        },
        (),
    )


def template_definition(rng: random.Random) -> dict[str, Any]:
    def names() -> dict[str, str]:
        langs = ["en-us", "zh-cn"]
        rng.shuffle(langs)
        return {lang: _text(rng) for lang in langs[: rng.randint(1, 2)]}

    return _some(
        rng,
        {
            "category": lambda: rng.choice(["MediaProcess", "FileProcess"]),
            "inputs": lambda: [_input(rng) for _ in range(rng.randint(0, 2))],
            "dynamic_source_definition": lambda: {_text(rng): _json(rng) for _ in range(2)},
            "need_policy": lambda: [
                _some(
                    rng,
                    {
                        "version": lambda: "1.1",
                        "statement": lambda: [
                            _some(
                                rng,
                                {
                                    "action": lambda: ["obs:object:GetObject"],
                                    "resource": lambda: ["obs:*:*:object:*"],
                                },
                                (),
                            )
                        ],
                    },
                    (),
                )
                for _ in range(rng.randint(1, 2))
            ],
            "func_provider": names,
            "func_name": names,
            "func_description": names,
            "func_link": names,
            "app_urn": lambda: _text(rng),
            "bill_value": lambda: rng.choice([0, 5, 1.5, 2.0]),
            "agency": lambda: _text(rng),
            "register_status": lambda: rng.choice(["CREATED", "PUBLISHED"]),
        },
        ("category", "func_provider", "func_name", "func_description"),
    )


def _sdk_input(d: dict[str, Any]) -> Any:
    return m.Input(**d)


def _sdk_action(d: dict[str, Any]) -> Any:
    d = dict(d)
    if "results" in d:
        d["results"] = [m.ActionResult(**r) for r in d["results"]]
    return m.Action(**d)


def _sdk_state(d: dict[str, Any]) -> Any:
    d = dict(d)
    if "actions" in d:
        d["actions"] = [_sdk_action(a) for a in d["actions"]]
    return m.State(**d)


def sdk_workflow_body(d: dict[str, Any]) -> Any:
    d = dict(d)
    if "states" in d:
        d["states"] = [_sdk_state(s) for s in d["states"]]
    if "inputs" in d:
        d["inputs"] = [_sdk_input(i) for i in d["inputs"]]
    if "express_config" in d:
        d["express_config"] = m.ExpressConfig(**d["express_config"])
    if "func_vpc" in d:
        d["func_vpc"] = m.FuncVpc(**d["func_vpc"])
    return m.CreateWorkflowRequestBody(**d)


def sdk_template_body(d: dict[str, Any]) -> Any:
    d = dict(d)
    if "inputs" in d:
        d["inputs"] = [_sdk_input(i) for i in d["inputs"]]
    if "need_policy" in d:
        d["need_policy"] = [
            m.Policy(
                **{
                    **p,
                    **(
                        {"statement": [m.Statement(**s) for s in p["statement"]]}
                        if "statement" in p
                        else {}
                    ),
                }
            )
            for p in d["need_policy"]
        ]
    return m.ThirdTemplateRequestBody(**d)


def _graph(rng: random.Random) -> str:
    return rng.choice(["g", "demo-graph", "G_1"]) + str(rng.randint(0, 99))


def _tname(rng: random.Random) -> str:
    return rng.choice(["t", "tmpl.v1", "my-template"]) + str(rng.randint(0, 99))


def _time(rng: random.Random) -> datetime | None:
    if rng.random() < 0.4:
        return None
    return datetime(2025, 1, 1, tzinfo=timezone.utc) + timedelta(seconds=rng.randint(0, 10**7))


def _fmt(value: datetime | None) -> str | None:
    return None if value is None else value.strftime("%Y-%m-%dT%H:%M:%SZ")


def _opt(rng: random.Random, make: Callable[[], Any]) -> Any:
    return make() if rng.random() < 0.6 else None


Case = tuple[Callable[[AsyncDwrClient], Any], object]
"""Our call, and the SDK's request for the same arguments."""


def case(call: str, rng: random.Random) -> Case:
    g, t, e = _graph(rng), _tname(rng), f"{rng.getrandbits(64):016x}"
    if call == "create_workflow":
        body = workflow_definition(rng)
        return (
            lambda c: c.create_workflow(g, body),
            m.CreateWorkflowRequest(graph_name=g, body=sdk_workflow_body(body)),
        )
    if call == "show_workflow_info":
        return lambda c: c.get_workflow(g), m.ShowWorkflowInfoRequest(graph_name=g)
    if call == "update_workflow":
        params = {_text(rng): _text(rng) for _ in range(rng.randint(0, 3))}
        return (
            lambda c: c.update_workflow(g, parameters=params),
            m.UpdateWorkflowRequest(graph_name=g, body=m.UpdateWorkflowBody(parameters=params)),
        )
    if call == "delete_workflow":
        return lambda c: c.delete_workflow(g), m.DeleteWorkflowRequest(graph_name=g)
    if call == "list_workflows":
        prefix, off, lim = (
            _opt(rng, lambda: _text(rng)),
            _opt(rng, lambda: rng.randint(1, 1000)),
            _opt(rng, lambda: rng.randint(1, 1000)),
        )
        return (
            lambda c: c.list_workflows(prefix, offset=off, limit=lim),
            m.ListWorkflowsRequest(prefix=prefix, offset=off, limit=lim),
        )
    if call == "async_invoke_api_start_workflow":
        b, o = rng.choice(["bucket-a", "demo-bucket"]), _text(rng)
        inputs = _opt(rng, lambda: {_text(rng): _json(rng) for _ in range(rng.randint(0, 3))})
        return (
            lambda c: c.start_workflow(g, b, o, inputs),
            m.AsyncInvokeApiStartWorkflowRequest(
                graph_name=g, body=m.ExecuteWorkflowBody(bucket=b, object=o, inputs=inputs)
            ),
        )
    if call == "list_workflow_instance":
        lim, off = _opt(rng, lambda: rng.randint(1, 200)), _opt(rng, lambda: rng.randint(1, 1000))
        st, et = _time(rng), _time(rng)
        s = _opt(rng, lambda: rng.choice(["success", "fail", "running", "timeout", "cancel"]))
        return (
            lambda c: c.list_executions(
                g, state=s, start_time=st, end_time=et, offset=off, limit=lim
            ),
            m.ListWorkflowInstanceRequest(
                graph_name=g,
                limit=lim,
                offset=off,
                start_time=_fmt(st),
                end_time=_fmt(et),
                status=s,
            ),
        )
    if call == "show_workflow_instance":
        return (
            lambda c: c.get_execution(g, e),
            m.ShowWorkflowInstanceRequest(graph_name=g, execution_name=e),
        )
    if call == "restore_workflow_execution":
        return (
            lambda c: c.restore_execution(g, e),
            m.RestoreWorkflowExecutionRequest(graph_name=g, execution_name=e),
        )
    if call == "create_workflow_authentication":
        return lambda c: c.create_authorization(), m.CreateWorkflowAuthenticationRequest()
    if call == "check_workflow_authentication":
        return lambda c: c.get_authorization(), m.CheckWorkflowAuthenticationRequest()
    kind = rng.choice(["use_public_action_privacy_statement", "register_public_action_statement"])
    if call == "accept_service_contract":
        return (
            lambda c: c.accept_agreement(agreement_type=kind),
            m.AcceptServiceContractRequest(type=kind),
        )
    if call == "show_service_contract":
        return (
            lambda c: c.get_agreement(agreement_type=kind),
            m.ShowServiceContractRequest(type=kind),
        )
    prefix, cat = _opt(rng, lambda: _text(rng)), _opt(rng, lambda: _text(rng))
    off, lim = _opt(rng, lambda: rng.randint(1, 1000)), _opt(rng, lambda: rng.randint(1, 1000))
    if call == "list_system_templates":
        return (
            lambda c: c.list_system_templates(prefix, category=cat, offset=off, limit=lim),
            m.ListSystemTemplatesRequest(prefix=prefix, category=cat, offset=off, limit=lim),
        )
    if call == "show_public_action_list":
        return (
            lambda c: c.list_public_templates(prefix, category=cat, offset=off, limit=lim),
            m.ShowPublicActionListRequest(prefix=prefix, category=cat, offset=off, limit=lim),
        )
    if call == "list_my_action_template":
        stat = _opt(rng, lambda: rng.choice(["CREATED", "PUBLISHED"]))
        return (
            lambda c: c.list_my_templates(prefix, category=cat, status=stat, offset=off, limit=lim),
            m.ListMyActionTemplateRequest(
                prefix=prefix, category=cat, status=stat, offset=off, limit=lim
            ),
        )
    if call == "show_system_template_detail":
        return (
            lambda c: c.get_system_template(template_name=t),
            m.ShowSystemTemplateDetailRequest(template_name=t),
        )
    if call == "show_public_template_info":
        return (
            lambda c: c.get_public_template(template_name=t),
            m.ShowPublicTemplateInfoRequest(template_name=t),
        )
    if call == "show_third_template_info":
        return (
            lambda c: c.get_my_template(template_name=t),
            m.ShowThirdTemplateInfoRequest(template_name=t),
        )
    if call in ("create_my_action_template", "update_my_action_template"):
        body = template_definition(rng)
        if call == "create_my_action_template":
            return (
                lambda c: c.create_my_template(t, body),
                m.CreateMyActionTemplateRequest(template_name=t, body=sdk_template_body(body)),
            )
        return (
            lambda c: c.update_my_template(t, body),
            m.UpdateMyActionTemplateRequest(template_name=t, body=sdk_template_body(body)),
        )
    if call == "delete_my_action_template":
        return (
            lambda c: c.delete_my_template(template_name=t),
            m.DeleteMyActionTemplateRequest(template_name=t),
        )
    assert call == "update_my_action_template_to_deprecated", call
    return (
        lambda c: c.deprecate_my_template(template_name=t),
        m.UpdateMyActionTemplateToDeprecatedRequest(template_name=t),
    )


CALLS = (
    "create_workflow",
    "show_workflow_info",
    "update_workflow",
    "delete_workflow",
    "list_workflows",
    "async_invoke_api_start_workflow",
    "list_workflow_instance",
    "show_workflow_instance",
    "restore_workflow_execution",
    "create_workflow_authentication",
    "check_workflow_authentication",
    "accept_service_contract",
    "show_service_contract",
    "list_system_templates",
    "show_public_action_list",
    "list_my_action_template",
    "show_system_template_detail",
    "show_public_template_info",
    "show_third_template_info",
    "create_my_action_template",
    "update_my_action_template",
    "delete_my_action_template",
    "update_my_action_template_to_deprecated",
)
BODY_CALLS = {"create_workflow", "create_my_action_template", "update_my_action_template"}

# -- generated answers ----------------------------------------------------------------


_ENUM_VALUE = "init_created\uff0csubmit_approve\uff0cdeprecate_approve"
"""A value of the SDK's PublicTemplateRegisterType (full-width commas, as in the SDK)."""


def _stamp(rng: random.Random) -> str:
    return (
        _fmt(datetime(2025, 1, 1, tzinfo=timezone.utc) + timedelta(seconds=rng.randint(0, 10**7)))
        or ""
    )


_PROVIDED = {
    "template_name": "t",
    "category": "MediaProcess",
    "create_time": "time",
    "last_modify_time": "time",
    "provider_name": "p",
    "is_uploaded_func_pkg": True,
    "func_pkg_endpoint": "https://e",
    "upload_func_pkg_size": 12,
    "upload_func_pkg_etag": "etag",
    "register_status": "CREATED",
    "description": "d",
    "function_template": "f",
    "provider_domainid": "dom",
    "provider_userid": "u",
}


def _provided(rng: random.Random) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in _PROVIDED.items():
        if rng.random() < 0.6:
            out[k] = _stamp(rng) if v == "time" else v
    if rng.random() < 0.5:
        out["inputs"] = [_input(rng)]
    if rng.random() < 0.5:
        out["need_policy"] = [
            {"version": "1.1", "statement": [{"action": ["a"], "resource": ["r"]}]}
        ]
    if rng.random() < 0.5:
        out["dynamic_source_definition"] = {"k": _json(rng)}
    return out


def _fields(rng: random.Random, spec: dict[str, Callable[[], Any]]) -> dict[str, Any]:
    return {k: make() for k, make in spec.items() if rng.random() < 0.75}


def answer_body(call: str, rng: random.Random) -> Any:
    text = lambda: rng.choice([_text(rng), _text(rng), "", 42])  # noqa: E731
    stamp = lambda: _stamp(rng)  # noqa: E731
    if call == "create_workflow":
        return _fields(rng, {"graph_name": text, "graph_urn": text, "created_at": stamp})
    if call == "show_workflow_info":
        return _fields(
            rng,
            {
                "name": text,
                "created_at": stamp,
                "definition": lambda: {"states": [{"state_name": "a", "x": _json(rng)}]},
                "graph_urn": text,
                "description": text,
            },
        )
    if call == "update_workflow":
        return _fields(rng, {"graph_name": text, "graph_urn": text, "last_modified": stamp})
    if call == "list_workflows":
        graphs = [
            _fields(rng, {"name": text, "created_at": stamp, "graph_urn": text, "id": text})
            for _ in range(rng.randint(0, 3))
        ]
        return {
            "count": len(graphs),
            "graphs": graphs,
            "next_offset": rng.randint(1, 100),
            "is_truncated": rng.random() < 0.5,
        }
    if call in ("async_invoke_api_start_workflow", "restore_workflow_execution"):
        at = "started_at" if call.startswith("async") else "restored_at"
        body = _fields(rng, {"execution_urn": text, at: stamp})
        if call.startswith("async") or rng.random() < 0.7:  # a start must name its execution
            body["execution_name"] = _text(rng)
        return body
    if call == "list_workflow_instance":
        items = [
            _fields(
                rng,
                {
                    "graph_urn": text,
                    "execution_urn": text,
                    "started_at": stamp,
                    "execution_type": lambda: rng.choice(["APICALL", "OBS"]),
                    "stopped_at": stamp,
                    "execution_state": lambda: rng.choice(["success", "fail", "running"]),
                    "execution_name": lambda: _text(rng),
                },
            )
            for _ in range(rng.randint(0, 3))
        ]
        return {
            "count": len(items),
            "executions": items,
            "is_truncated": rng.random() < 0.5,
            "next_offset": rng.randint(1, 100),
        }
    if call == "show_workflow_instance":
        node = lambda: _fields(  # noqa: E731
            rng,
            {
                "status": lambda: rng.choice(["success", "fail"]),
                "input": lambda: _json(rng),
                "output": lambda: _json(rng),
                "begin_time": lambda: 1735689600000 + rng.randint(0, 10**6) * 1000,
                "end_time": lambda: 1735689600000 + rng.randint(0, 10**6) * 1000,
                "error_message": text,
                "request_id": text,
            },
        )
        return _fields(
            rng,
            {
                "workflow_id": text,
                "workflow_urn": text,
                "execution_id": lambda: _text(rng),
                "status": lambda: rng.choice(["success", "fail", "running", "timeout", "cancel"]),
                "headers": lambda: {"h": _text(rng)},
                "input": lambda: {"k": _json(rng)},
                "output": lambda: {"k": _json(rng)},
                "begin_time": stamp,
                "end_time": stamp,
                "last_update_time": stamp,
                "created_by": text,
                "node_execution_details": lambda: [node() for _ in range(rng.randint(0, 2))],
            },
        )
    if call == "check_workflow_authentication":
        return _fields(
            rng,
            {
                "create_time": stamp,
                "last_modify_time": text,
                "agency_id": text,
                "agency_name": text,
                "agency_duration": text,
                "trust_domain_name": text,
                "role_id": text,
                "role_dependent_by_function": text,
                "role_remark_name": text,
                "role_remark_type": text,
            },
        )
    if call == "show_service_contract":
        return _fields(rng, {"agreement_type": text, "create_time": stamp})
    if call in ("list_system_templates", "show_public_action_list", "list_my_action_template"):
        item = lambda: _fields(  # noqa: E731
            rng,
            {"name": text, "category": text}
            if call == "list_system_templates"
            else {
                "name": text,
                "category": text,
                "register_status": lambda: rng.choice(["CREATED", _ENUM_VALUE]),
                "provider_name": text,
                "description": text,
                "create_time": text,
                "last_modify_time": text,
            },
        )
        items = [item() for _ in range(rng.randint(0, 3))]
        body: dict[str, Any] = {
            "count": len(items),
            "action_templates": items,
            "offset": rng.randint(1, 100),
            "is_truncated": rng.random() < 0.5,
        }
        if call != "list_my_action_template":
            body["total"] = rng.randint(0, 500)
        return body
    if call == "show_system_template_detail":
        return {"provided_actions": [_provided(rng) for _ in range(rng.randint(0, 2))]}
    if call in ("show_public_template_info", "show_third_template_info"):
        return {"provided_actions": _provided(rng)}
    if call == "create_my_action_template":
        return _fields(
            rng,
            {
                "template_name": text,
                "created_at": stamp,
                "func_pkg_path": text,
                "func_logo_path": lambda: {"en-us": "https://u"},
                "func_help_path": lambda: {"en-us": "https://h"},
            },
        )
    if call == "update_my_action_template":
        return _fields(rng, {"template_name": text, "created_at": stamp, "version": text})
    return None  # no body: delete, authorize, accept, deprecate


def success_answer(call: str, rng: random.Random) -> Answer:
    body = answer_body(call, rng)
    headers = {"Content-Type": "application/json;charset=UTF-8"}
    if rng.random() < 0.8:
        headers["X-Request-Id"] = f"rid-{rng.getrandbits(32):08x}"
    status = 204 if body is None and rng.random() < 0.5 else 200
    raw = b"" if body is None else json.dumps(body).encode()
    return Answer(status, raw, headers)


def _error_body(rng: random.Random) -> bytes:
    code = lambda: rng.choice(["DWR.0001", "APIG.0308", "APIGW.0301", 1234, 0, "", None])  # noqa: E731
    msg = lambda: rng.choice(["bad", "不好", "", None, 7])  # noqa: E731
    shapes: list[Callable[[], Any]] = [
        lambda: {"error_code": code(), "error_msg": msg(), "request_id": "body-rid"},
        lambda: {"code": code(), "message": msg()},
        lambda: {"code": "C", "message": "M", "error_code": code(), "error_msg": msg()},
        lambda: {"error_code": code()},
        lambda: {"error_msg": msg(), "code": code()},
        lambda: {"errorCode": code(), "errorMsg": msg()},
        lambda: {"error": {"code": code(), "message": msg()}},
        lambda: {"a": {"error_code": "A", "error_msg": "a"}, "b": {"code": "B", "message": "b"}},
        lambda: {"outer": {"inner": {"error_code": code(), "error_msg": msg()}}},
        lambda: {"error_code": code(), "error_msg": msg(), "encoded_authorization_message": "enc"},
        lambda: {},
    ]
    raw = rng.choice(
        [
            lambda: json.dumps(rng.choice(shapes)()),
            lambda: "Bad Gateway",
            lambda: "<html><body>502</body></html>",
            lambda: "",
            lambda: "[1, 2]",
            lambda: '"oops"',
            lambda: "{not json",
        ]
    )()
    return raw.encode()


def error_answer(rng: random.Random) -> Answer:
    headers = {"Content-Type": "application/json;charset=UTF-8"}
    if rng.random() < 0.6:
        headers["X-Request-Id"] = f"rid-{rng.getrandbits(32):08x}"
    status = rng.choice([400, 401, 403, 404, 409, 429, 500, 502, 503, 504])
    return Answer(status, _error_body(rng), headers)


# -- comparison ----------------------------------------------------------------------


def _as_datetime(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


_RENAMED = {"headers": "execution_headers"}
"""SDK attribute -> our field, where the names differ (the detail's own ``headers``)."""


def _field(ours: Any, key: str) -> Any:
    if isinstance(ours, dict):
        return ours.get(key)
    fields = type(ours).model_fields
    key = _RENAMED.get(key, key) if "execution_headers" in fields else key
    if key in fields:
        return getattr(ours, key)
    return (ours.model_extra or {}).get(key)


_ALLOWED_FILLS = {
    "answer.started_at": "start-date",
    "answer.execution_name": "requested-name",
}
"""Fields we fill where the SDK has ``None`` (by :data:`INTENDED` name)."""


def compare(path: str, sdk: Any, ours: Any, out: list[str]) -> None:
    """Append to ``out`` each place where ``ours`` does not read ``sdk``'s value."""
    if isinstance(ours, Enum):
        ours = ours.value
    if sdk is None:
        if ours not in (None, [], {}, "") and path not in _ALLOWED_FILLS:
            out.append(f"{path}: SDK None, ours {ours!r}")
        return
    if hasattr(sdk, "openapi_types") and isinstance(ours, list) and len(ours) == 1:
        ours = ours[0]  # INTENDED["provided-actions-list"]
    if hasattr(sdk, "openapi_types"):
        if not sdk.openapi_types:
            return  # INTENDED["enum-lost"]: the SDK kept an empty enum instance
        for attr in sdk.openapi_types:
            if attr in HEADER_ATTRS:
                continue
            key = sdk.attribute_map[attr]
            compare(f"{path}.{key}", getattr(sdk, attr), _field(ours, key), out)
        return
    if isinstance(sdk, list):
        if not isinstance(ours, list) or len(ours) != len(sdk):
            out.append(f"{path}: SDK {sdk!r}, ours {ours!r}")
            return
        for i, (a, b) in enumerate(zip(sdk, ours, strict=True)):
            compare(f"{path}[{i}]", a, b, out)
        return
    if isinstance(sdk, dict):
        if not isinstance(ours, dict) or list(ours) != list(sdk):
            out.append(f"{path}: SDK {sdk!r}, ours {ours!r}")
            return
        for k in sdk:
            compare(f"{path}.{k}", sdk[k], ours[k], out)
        return
    if isinstance(sdk, Decimal):
        ok = not isinstance(ours, bool) and isinstance(ours, int | float) and float(sdk) == ours
    elif isinstance(ours, datetime):  # INTENDED["times"]
        if isinstance(sdk, int):
            ok = ours == datetime.fromtimestamp(sdk / 1000, timezone.utc)
        else:
            ok = ours == _as_datetime(sdk)
    elif ours is None and sdk == "":  # INTENDED["empty-text"]
        ok = True
    else:
        ok = type(sdk) is type(ours) and sdk == ours
    if not ok:
        out.append(f"{path}: SDK {sdk!r}, ours {ours!r}")


def _text_of(value: object) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def _sdk_reading(answer: Answer) -> object:
    """What the SDK's exception handler reads from ``answer`` (for 429, which the SDK's
    urllib3 retry turns into a ``RetryError`` before its handler sees the body)."""
    response = requests.Response()
    response.status_code = answer.status
    response._content = answer.body  # private: a requests.Response built by hand
    response.encoding = "utf-8"
    response.headers.update(answer.headers)
    try:
        DefaultExceptionHandler().handle_exception(None, response)
    except ServiceResponseException as exc:
        return exc
    raise AssertionError("no error read")  # pragma: no cover


def compare_error(sdk: object, ours: object, answer: Answer, out: list[str]) -> None:
    if answer.status == 429:  # INTENDED["429"]
        sdk = _sdk_reading(answer)
    if not isinstance(sdk, ServiceResponseException):
        out.append(f"SDK raised {sdk!r}")
        return
    if not isinstance(ours, APIStatusError):
        out.append(f"ours gave {ours!r}")
        return
    if (sdk.status_code, _text_of(sdk.error_code), _text_of(sdk.error_msg)) != (
        ours.status,
        ours.code,
        ours.message,
    ):
        out.append(
            f"error: SDK {(sdk.status_code, sdk.error_code, sdk.error_msg)!r}, "
            f"ours {(ours.status, ours.code, ours.message)!r}"
        )
    expected_id = sdk.request_id
    if expected_id is None:  # INTENDED["body-request-id"]
        with contextlib.suppress(ValueError, AttributeError):
            rid = json.loads(answer.body).get("request_id")
            expected_id = rid if isinstance(rid, str) and rid else None
    if ours.request_id != expected_id:
        out.append(f"request id: SDK {sdk.request_id!r}, ours {ours.request_id!r}")


def compare_requests(ours: Recorded, theirs: Recorded, out: list[str]) -> None:
    if (ours.method, ours.target) != (theirs.method, theirs.target):
        out.append(
            f"request line: ours {ours.method} {ours.target}, SDK {theirs.method} {theirs.target}"
        )
    if ours.body != theirs.body:
        out.append(f"body: ours {ours.body!r}, SDK {theirs.body!r}")
    for name in SIGNED:
        if ours.header(name) != theirs.header(name):
            out.append(f"header {name}: ours {ours.header(name)!r}, SDK {theirs.header(name)!r}")


def compare_answer(call: str, sdk: object, ours: object, out: list[str]) -> None:
    if isinstance(sdk, Exception) or isinstance(ours, Exception):
        out.append(f"answer: SDK {sdk!r}, ours {ours!r}")
        return
    compare("answer", sdk, ours, out)
    rid = getattr(sdk, "x_request_id", None)
    if getattr(ours, "request_id", None) != rid:
        out.append(f"answer request id: SDK {rid!r}, ours {getattr(ours, 'request_id', None)!r}")


# -- the run --------------------------------------------------------------------------


@dataclass
class Counts:
    argument_sets: int = 0
    answers: int = 0
    errors: int = 0
    mismatched_requests: int = 0
    mismatched_answers: int = 0
    mismatched_errors: int = 0
    examples: list[str] = field(default_factory=list)

    @property
    def mismatches(self) -> int:
        return self.mismatched_requests + self.mismatched_answers + self.mismatched_errors


TOKENS = (None, "TOKENexample+/=")


async def _run(call: str, seed: int, argument_sets: int, answers: int, errors: int) -> Counts:
    rng = random.Random(f"{call}:{seed}")
    counts = Counts()
    with Recorder() as recorder:
        endpoint = f"http://127.0.0.1:{recorder.port}"
        plan = (
            [("request", None)] * argument_sets
            + [("answer", success_answer(call, rng)) for _ in range(answers)]
            + [("error", error_answer(rng)) for _ in range(errors)]
        )
        sdks = {token: sdk_client(endpoint, token) for token in TOKENS}
        try:
            async with (
                ours_client(endpoint, TOKENS[0]) as c0,
                ours_client(endpoint, TOKENS[1]) as c1,
            ):
                ours_clients = dict(zip(TOKENS, (c0, c1), strict=True))
                for kind, answer in plan:
                    ours_call, request = case(call, rng)
                    token = rng.choice(TOKENS)
                    reply = answer or success_answer(call, rng)
                    recorder.prime(reply)
                    try:
                        ours_got: object = await ours_call(ours_clients[token])
                    except Exception as exc:  # compared, not raised
                        ours_got = exc
                    ours_req = recorder.sent()
                    recorder.prime(reply)
                    try:
                        sdk_got: object = sdk_send(sdks[token], call, request)
                    except Exception as exc:  # compared, not raised
                        sdk_got = exc
                    sdk_req = recorder.sent()
                    assert sdk_req is not None, f"the SDK sent nothing: {sdk_got!r}"
                    problems: list[str] = []
                    if ours_req is None:
                        problems.append(f"ours sent nothing: {ours_got!r}")
                    else:
                        compare_requests(ours_req, sdk_req, problems)
                    counts.argument_sets += 1
                    counts.mismatched_requests += bool(problems)
                    if kind == "answer":
                        counts.answers += 1
                        before = len(problems)
                        compare_answer(call, sdk_got, ours_got, problems)
                        counts.mismatched_answers += len(problems) > before
                    elif kind == "error":
                        counts.errors += 1
                        before = len(problems)
                        compare_error(sdk_got, ours_got, reply, problems)
                        counts.mismatched_errors += len(problems) > before
                    if problems and len(counts.examples) < 5:
                        counts.examples.append(f"{call}/{kind}: " + "; ".join(problems)[:600])
        finally:
            for sdk in sdks.values():
                sdk.get_http_client().close()
                sdk.get_http_client().executor.shutdown()  # close() leaves its threads
    return counts


def run(call: str, seed: int, argument_sets: int, answers: int, errors: int) -> Counts:
    """Compare both clients on ``call``: every exchange compares the requests (one
    generated argument set each); answers and error answers are drawn from ``seed``."""
    return asyncio.run(_run(call, seed, argument_sets, answers, errors))


def plan_sizes(call: str) -> tuple[int, int, int]:
    """Argument sets, answers and error answers per call (bounded: a few seconds in all)."""
    return (30, 10, 12) if call in BODY_CALLS else (8, 10, 12)


def main() -> None:  # pragma: no cover - a report, run by hand
    total = Counts()
    print(f"{'call':42} {'args':>5} {'answers':>7} {'errors':>6}  mismatches (req/ans/err)")
    for call in CALLS:
        c = run(call, 0, *plan_sizes(call))
        for name in (
            "argument_sets",
            "answers",
            "errors",
            "mismatched_requests",
            "mismatched_answers",
            "mismatched_errors",
        ):
            setattr(total, name, getattr(total, name) + getattr(c, name))
        print(
            f"{call:42} {c.argument_sets:5} {c.answers:7} {c.errors:6}  "
            f"{c.mismatched_requests}/{c.mismatched_answers}/{c.mismatched_errors}"
        )
        for example in c.examples[:2]:
            print("    " + example)
    print(
        f"{'total':42} {total.argument_sets:5} {total.answers:7} {total.errors:6}  "
        f"{total.mismatched_requests}/{total.mismatched_answers}/{total.mismatched_errors}"
    )


if __name__ == "__main__":  # pragma: no cover
    logging.getLogger("HuaweiCloud-SDK-DwrClient").disabled = True
    main()
