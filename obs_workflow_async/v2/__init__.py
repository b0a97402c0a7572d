"""The OBS workflow (v2) API on the neutral core: :class:`AsyncWorkflowClient`, its
dialect (addressing and signing) and its resources, one module per resource group."""
