"""Backends: each turns the resolved model into files under generated/."""


class BackendError(Exception):
    """The model holds something a backend's format cannot express.  The
    message starts with the source location; the build fails without
    writing anything, like any other error in the input."""
