"""The DWR v3 resources, one module per group; each a class of public methods that
reach the core only through ``self._dwr`` (:class:`~obs_workflow_async.dwr.project.DwrCalls`)."""
