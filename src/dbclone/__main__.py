"""`python -m dbclone`: the same as the `dbclone` command."""

from dbclone.cli import app

app(prog_name="dbclone")
