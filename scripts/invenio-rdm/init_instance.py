"""Initialises a fresh InvenioRDM 13 instance in one application boot.

Run by start.sh with the virtualenv's Python and INVENIO_INSTANCE_PATH set, after PostgreSQL,
Redis and OpenSearch are up. It runs the same `invenio` commands an operator would (through
click's test runner against one app, so the app boots once instead of once per command), then
creates the users, their tokens and the community the conformance suite needs, rebuilds and
drains the search indices, and writes the users' tokens and the community as JSON to the path
given as the only argument (mode 0600).

Vocabularies: the package's fixtures would load ~8000 languages, ~400 licences, names and
programming languages (minutes of indexing); a reduced copy of those four goes into the
instance's app_data, which takes precedence over the package's files.
"""

import json
import os
import secrets
import sys
import time
from pathlib import Path

import yaml

USERS = {
    # key in target.json -> e-mail address
    "depositor": "depositor@test.org",
    "other": "other@test.org",
    "curator": "curator@test.org",
    "admin": "admin@test.org",
}
COMMUNITY_SLUG = "conformance"

KEEP_LANGUAGES = {
    "eng", "ces", "slk", "deu", "fra", "spa", "ita", "pol", "por", "nld",
    "swe", "dan", "fin", "nor", "hun", "rus", "ukr", "jpn", "zho", "lat",
}
KEEP_LICENSES = {
    "cc-by-4.0", "cc-by-sa-4.0", "cc-by-nc-4.0", "cc-by-nd-4.0", "cc-by-nc-sa-4.0",
    "cc-by-nc-nd-4.0", "cc0-1.0", "mit", "apache-2.0", "bsd-3-clause", "gpl-3.0-only",
    "lgpl-3.0-only", "mpl-2.0", "odc-by-1.0", "odbl-1.0",
}
KEEP_PROGRAMMING_LANGUAGES = 40
KEEP_NAMES = 5


def step(message):
    """Prints a progress line with the time since start."""
    print(f"[init {time.monotonic() - START:5.1f}s] {message}", flush=True)


def reduce_vocabularies(instance):
    """Writes app_data/vocabularies.yaml with reduced copies of the four large vocabularies."""
    import invenio_rdm_records

    package = Path(invenio_rdm_records.__file__).parent / "fixtures/data/vocabularies"
    target = instance / "app_data" / "vocabularies"
    target.mkdir(parents=True, exist_ok=True)
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

    def entries(name, keep, limit=None):
        """The entries of a top-level YAML list whose id passes keep(), without parsing the rest
        (the files are large; each entry starts with "- " in column 0)."""
        chunks, chunk = [], None
        with open(package / name, encoding="utf-8") as f:
            for line in f:
                if line.startswith("- "):
                    if chunk is not None:
                        chunks.append(chunk)
                        if limit is not None and len(chunks) >= limit:
                            chunk = None
                            break
                    chunk = [line]
                elif chunk is not None:
                    chunk.append(line)
        if chunk is not None:
            chunks.append(chunk)
        kept = []
        for lines in chunks:
            # Most entries start with "- id: …": skip those not kept without parsing them.
            head = lines[0][2:].strip()
            if head.startswith("id: ") and not keep(head[4:].strip().strip("'\"")):
                continue
            entry = yaml.load("".join(lines), Loader=loader)[0]
            if keep(entry["id"]):
                kept.append(entry)
        return kept

    def dump(name, data):
        with open(target / name, "w", encoding="utf-8") as f:
            yaml.safe_dump(data, f, allow_unicode=True, sort_keys=False)

    languages = entries("languages.yaml", lambda id_: id_ in KEEP_LANGUAGES)
    dump("languages.yaml", languages)
    dump("names.yaml", entries("names_orcid.yaml", lambda _: True, KEEP_NAMES))
    programming = entries(
        "contrib/codemeta/programming_languages.yaml", lambda _: True, KEEP_PROGRAMMING_LANGUAGES
    )
    dump("programming_languages.yaml", programming)
    with open(package / "licenses.csv", encoding="utf-8") as f:
        header, *rows = f.read().splitlines()
    kept = [row for row in rows if row.split(",", 1)[0] in KEEP_LICENSES]
    (target / "licenses.csv").write_text("\n".join([header, *kept]) + "\n", encoding="utf-8")

    vocabularies = {
        "languages": {"pid-type": "lng", "data-file": "vocabularies/languages.yaml"},
        "licenses": {"pid-type": "lic", "data-file": "vocabularies/licenses.csv"},
        "names": {"pid-type": "names", "data-file": "vocabularies/names.yaml"},
        "code:programmingLanguages": {
            "pid-type": "pl",
            "data-file": "vocabularies/programming_languages.yaml",
        },
    }
    with open(instance / "app_data" / "vocabularies.yaml", "w", encoding="utf-8") as f:
        yaml.safe_dump(vocabularies, f, sort_keys=False)
    step(
        f"vocabularies reduced: {len(languages)} languages, {len(kept)} licences, "
        f"{KEEP_PROGRAMMING_LANGUAGES} programming languages, {KEEP_NAMES} names"
    )


def main(output):
    instance = Path(os.environ["INVENIO_INSTANCE_PATH"])
    reduce_vocabularies(instance)

    from click.testing import CliRunner
    from flask.cli import ScriptInfo
    from invenio_app.cli import cli
    from invenio_app.factory import create_app

    app = create_app()
    step("application created")
    info = ScriptInfo(create_app=lambda: app)
    runner = CliRunner()

    def invenio(*args):
        """Runs one `invenio` command in this process; stops everything when it fails."""
        began = time.monotonic()
        result = runner.invoke(cli, list(args), obj=info, catch_exceptions=True, color=False)
        output = result.output.strip()
        if result.exit_code != 0:
            print(output, file=sys.stderr)
            if result.exc_info and not isinstance(result.exception, SystemExit):
                import traceback

                traceback.print_exception(*result.exc_info)
            raise SystemExit(f"`invenio {' '.join(args)}` failed (exit {result.exit_code})")
        shown = " ".join(a if not a.startswith("--password") else "--password=…" for a in args)
        if args[:2] != ("tokens", "create"):
            step(f"invenio {shown} ({time.monotonic() - began:.1f}s)")
        return output

    invenio("db", "create")
    invenio("files", "location", "create", "--default", "default-location",
            (instance / "data").as_uri())
    invenio("roles", "create", "admin")
    invenio("access", "allow", "superuser-access", "role", "admin")
    invenio("roles", "create", "administration")
    invenio("access", "allow", "administration-access", "role", "administration")
    invenio("index", "init")
    invenio("rdm-records", "custom-fields", "init")
    invenio("communities", "custom-fields", "init")
    invenio("rdm", "fixtures")
    invenio("rdm-records", "fixtures")

    passwords = {}
    tokens = {}
    for key, email in USERS.items():
        passwords[key] = secrets.token_urlsafe(18)
        invenio("users", "create", email, f"--password={passwords[key]}", "--active", "--confirm")
    invenio("roles", "add", USERS["admin"], "admin")
    invenio("roles", "add", USERS["admin"], "administration")
    for key, email in USERS.items():
        out = invenio("tokens", "create", "-n", f"conformance-{key}", "-u", email)
        tokens[key] = out.splitlines()[-1].strip()
        if not tokens[key]:
            raise SystemExit(f"`invenio tokens create` printed no token for {email}")
    step("users and tokens created")

    with app.app_context():
        from invenio_access.permissions import authenticated_user, system_identity
        from invenio_access.utils import get_identity
        from invenio_accounts.proxies import current_datastore
        from invenio_communities.proxies import current_communities
        from invenio_db import db

        admin = current_datastore.get_user(USERS["admin"])
        curator = current_datastore.get_user(USERS["curator"])
        identity = get_identity(admin)
        identity.provides.add(authenticated_user)
        community = current_communities.service.create(
            identity,
            {
                "slug": COMMUNITY_SLUG,
                "metadata": {"title": "Conformance", "description": "Conformance tests."},
                "access": {"visibility": "public"},
            },
        )
        current_communities.service.members.add(
            system_identity,
            community.id,
            {"members": [{"type": "user", "id": str(curator.id)}], "role": "curator"},
        )
        db.session.commit()
        community_id = str(community.id)
    step(f"community {COMMUNITY_SLUG} ({community_id}) created, curator added")

    invenio("rdm", "rebuild-all-indices")
    with app.app_context():
        from invenio_indexer.proxies import current_indexer_registry
        from invenio_search.proxies import current_search_client

        # rebuild-all-indices only queues the records; consume every queue here (no worker yet).
        indexed = 0
        for indexer in current_indexer_registry.all().values():
            for _ in range(100):
                done, failed = indexer.process_bulk_queue()
                indexed += done
                if failed:
                    raise SystemExit(f"bulk indexing failed for {failed} documents")
                if not done:
                    break
        current_search_client.indices.refresh(index="_all")
    step(f"indices rebuilt ({indexed} documents)")

    fd = os.open(output, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump(
            {
                "tokens": tokens,
                "users": {k: {"email": USERS[k], "password": passwords[k]} for k in USERS},
                "community": {"id": community_id, "slug": COMMUNITY_SLUG},
            },
            f,
            indent=2,
        )
    step(f"wrote {output}")


START = time.monotonic()
if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit("usage: init_instance.py OUTPUT.json")
    main(sys.argv[1])
