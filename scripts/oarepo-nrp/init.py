"""Initialises a fresh NRP instance in one application boot (run by start.sh with the server venv).

Each `invenio` command boots the whole application (10-15 s on this kind of machine); running them
all through one FlaskGroup with one loaded app costs a single boot. In order:
  db create; files location; the admin role with superuser access; index init; `oarepo cf init`
  (before any record: it adds the mapping of oarepo's system fields such as `record_status`,
  which would otherwise be mapped as text by the first indexed document); users and tokens.

Usage: python init.py TOKENS_JSON FILES_DIR USER_EMAIL... (each user is NAME=EMAIL; a name
"admin" gets the admin role). Tokens are written to TOKENS_JSON (mode 0600), never printed.
"""

import json
import os
import sys

from click.testing import CliRunner
from flask.cli import ScriptInfo
from invenio_app.cli import cli
from invenio_app.factory import create_app


def main() -> None:
    tokens_path, files_dir, *users = sys.argv[1:]
    info = ScriptInfo(create_app=lambda *a, **kw: create_app())
    runner = CliRunner()

    def invenio(*args: str) -> str:
        result = runner.invoke(cli, list(args), obj=info, catch_exceptions=True)
        if result.exit_code != 0:
            sys.stderr.write(f"invenio {' '.join(args[:3])}: exit {result.exit_code}\n")
            sys.stderr.write(result.output[-4000:])
            if result.exception is not None and not isinstance(result.exception, SystemExit):
                import traceback

                traceback.print_exception(result.exception, file=sys.stderr)
            sys.exit(1)
        return result.output

    invenio("db", "create")
    invenio("files", "location", "create", "--default", "default-location", f"file://{files_dir}")
    invenio("roles", "create", "admin")
    invenio("access", "allow", "superuser-access", "role", "admin")
    invenio("index", "init")
    invenio("oarepo", "cf", "init")

    tokens = {}
    for spec in users:
        name, email = spec.split("=", 1)
        invenio("users", "create", email, "--password", os.urandom(12).hex(), "--active", "--confirm")
        if name == "admin":
            invenio("roles", "add", email, "admin")
        out = invenio("tokens", "create", "-n", f"conformance-{name}", "-u", email)
        tokens[name] = out.strip().splitlines()[-1].strip()

    fd = os.open(tokens_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump(tokens, f)


if __name__ == "__main__":
    main()
