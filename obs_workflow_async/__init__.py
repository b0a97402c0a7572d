"""obs-workflow-async: the asyncio-native client for Huawei Cloud OBS workflows (Data+).

Start here: :class:`AsyncWorkflowClient`. Everything it raises derives from
:class:`ObsWorkflowError`. ``obs_workflow_async.testing`` holds a fake server to
test your own code against.
"""

from ._version import __version__
from .client import NOT_GIVEN, AsyncWorkflowClient, NotGiven
from .compat import AsyncAPIStartWorkflowResponse, GetResult
from .config import Credentials, Timeout
from .errors import (
    APIStatusError,
    AuthenticationError,
    BadRequestError,
    ClientClosedError,
    ConflictError,
    CredentialsError,
    ErrorDetail,
    InvalidRequestError,
    NotFoundError,
    ObsWorkflowError,
    PermissionDeniedError,
    RateLimitError,
    RequestTimeoutError,
    ResponseParseError,
    ServerError,
    ServiceUnavailableError,
    TransportError,
)
from .models import StartWorkflowRequest, StartWorkflowResult

__all__ = [
    "NOT_GIVEN",
    "APIStatusError",
    "AsyncAPIStartWorkflowResponse",
    "AsyncWorkflowClient",
    "AuthenticationError",
    "BadRequestError",
    "ClientClosedError",
    "ConflictError",
    "Credentials",
    "CredentialsError",
    "ErrorDetail",
    "GetResult",
    "InvalidRequestError",
    "NotFoundError",
    "NotGiven",
    "ObsWorkflowError",
    "PermissionDeniedError",
    "RateLimitError",
    "RequestTimeoutError",
    "ResponseParseError",
    "ServerError",
    "ServiceUnavailableError",
    "StartWorkflowRequest",
    "StartWorkflowResult",
    "Timeout",
    "TransportError",
    "__version__",
]
