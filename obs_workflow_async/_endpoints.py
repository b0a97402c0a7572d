"""Fixed addresses the package knows, in a module that imports nothing (the command
line's parser shows them in ``--help`` without importing the clients)."""

__all__ = ["ECS_ENDPOINT"]

ECS_ENDPOINT = "http://169.254.169.254"
"""The ECS instance metadata service."""
