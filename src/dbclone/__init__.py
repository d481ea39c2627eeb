"""dbclone: clone a relational database for test environments with synthetic rows."""

__version__ = "0.1.0"
