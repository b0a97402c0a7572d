"""The API groups of :class:`~obs_workflow_async.AsyncWorkflowClient`, one module each.

Each module holds pure request builders (validated arguments → ``RequestSpec``)
and a mixin with the async methods that send them through the shared transport.
"""
