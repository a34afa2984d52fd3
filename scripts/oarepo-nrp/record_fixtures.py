#!/usr/bin/env python3
"""Records a running NRP target's answers as fixtures (stdlib only; any Python 3.9+).

Usage: record_fixtures.py TARGET_JSON OUT_DIR

Drives the target described by TARGET_JSON (written by start.sh) through discovery, drafts,
files, every request type and action, searches and errors, and writes one set of files per
exchange into OUT_DIR:
  NAME.http.txt      "> METHOD PATH", the request headers that matter, then the response's
                     status line and headers (Date, Server, security and session headers left out);
  NAME.request.json  the JSON body sent, when there was one;
  NAME.json          the response body as served (NAME.body.txt when it is not JSON).
The index of the exchanges is OUT_DIR/README.md (written by hand). Tokens are never written.
"""

import http.client
import json
import os
import sys
import time
import urllib.parse

DROPPED_HEADERS = {
    "date",
    "server",
    "set-cookie",
    "permissions-policy",
    "x-frame-options",
    "x-xss-protection",
    "x-content-type-options",
    "content-security-policy",
    "referrer-policy",
    "strict-transport-security",
    "x-user-id",
    "x-session-id",
    "x-request-id",
}
# Request headers shown in NAME.http.txt (Authorization never is).
SHOWN_REQUEST_HEADERS = ("Content-Type", "If-Match", "Range", "Accept")


class Recorder:
    def __init__(self, target, out):
        self.url = urllib.parse.urlsplit(target["url"])
        self.tokens = target["tokens"]
        self.out = out
        self.names = []

    def call(self, name, method, path, *, user="depositor", body=None, data=None, headers=None):
        """One exchange; records it when `name` is given and returns (status, headers, body)."""
        if path.startswith("http"):
            parts = urllib.parse.urlsplit(path)
            path = parts.path + (f"?{parts.query}" if parts.query else "")
        hdrs = {"Accept": "application/json"}
        if user is not None:
            hdrs["Authorization"] = f"Bearer {self.tokens[user]}"
        payload = None
        if body is not None:
            payload = json.dumps(body).encode()
            hdrs["Content-Type"] = "application/json"
        elif data is not None:
            payload = data
            hdrs["Content-Type"] = "application/octet-stream"
        hdrs.update(headers or {})
        conn = http.client.HTTPConnection(self.url.hostname, self.url.port, timeout=120)
        conn.request(method, path, body=payload, headers=hdrs)
        res = conn.getresponse()
        raw = res.read()
        conn.close()
        try:
            parsed = json.loads(raw) if raw else None
        except ValueError:
            parsed = None
        if name:
            self._write(name, method, path, hdrs, body, res, raw, parsed)
        return res.status, res, parsed

    def _write(self, name, method, path, hdrs, body, res, raw, parsed):
        assert name not in self.names, f"duplicate fixture name {name}"
        self.names.append(name)
        lines = [f"> {method} {path}"]
        for h in SHOWN_REQUEST_HEADERS:
            v = hdrs.get(h)
            if v is None or (h == "Accept" and v == "application/json"):
                continue
            lines.append(f"> {h}: {v}")
        if hdrs.get("Authorization") is None:
            lines.append("> (no token)")
        lines.append("")
        lines.append(f"HTTP/1.1 {res.status} {res.reason}")
        for k, v in res.getheaders():
            if k.lower() not in DROPPED_HEADERS:
                lines.append(f"{k}: {v}")
        with open(os.path.join(self.out, f"{name}.http.txt"), "w") as f:
            f.write("\n".join(lines) + "\n")
        if body is not None:
            with open(os.path.join(self.out, f"{name}.request.json"), "w") as f:
                json.dump(body, f, indent=2)
                f.write("\n")
        if raw:
            ext = "json" if parsed is not None else "body.txt"
            with open(os.path.join(self.out, f"{name}.{ext}"), "wb") as f:
                f.write(raw)
        print(f"{res.status} {name}", file=sys.stderr)


def ok(result, *expected):
    status, _, body = result
    if status not in expected:
        raise SystemExit(f"unexpected {status}: {json.dumps(body)[:400]}")
    return body


def main():
    target_path, out = sys.argv[1:3]
    with open(target_path) as f:
        target = json.load(f)
    os.makedirs(out, exist_ok=True)
    r = Recorder(target, out)
    model = target["model"]
    auto, curated = target["workflows"]["auto"], target["workflows"]["curated"]
    api = f"/api/{model}"
    word = f"fx{os.urandom(3).hex()}"

    def meta(title, **extra):
        return {
            "title": f"{title} {word}",
            "resource_type": "dataset",
            "creators": [{"name": "Lovelace, Ada"}],
            "publication_date": "2024-05-01",
            **extra,
        }

    def draft(workflow, title, name=None):
        return ok(
            r.call(name, "POST", f"{api}/", body={"metadata": meta(title), "parent": {"workflow": workflow}}),
            201,
        )

    def add_file(rid, key="data.txt", content=b"hello, NRP\n", prefix=None):
        n = (lambda s: f"{prefix}-{s}") if prefix else (lambda s: None)
        ok(r.call(n("files-init"), "POST", f"{api}/{rid}/draft/files", body=[{"key": key}]), 201)
        ok(r.call(n("file-content-put"), "PUT", f"{api}/{rid}/draft/files/{key}/content", data=content), 200)
        ok(r.call(n("file-commit"), "POST", f"{api}/{rid}/draft/files/{key}/commit"), 200)

    def request(name_create, name_submit, url, body=None, user="depositor"):
        created = ok(r.call(name_create, "POST", url, body=body if body is not None else {}, user=user), 201)
        submitted = r.call(name_submit, "POST", created["links"]["actions"]["submit"], body={}, user=user)
        return created, submitted

    def wait_search(path, user, count_at_least=1):
        for _ in range(60):
            status, _, body = r.call(None, "GET", path, user=user)
            if status == 200 and body["hits"]["total"] >= count_at_least:
                return
            time.sleep(0.5)
        raise SystemExit(f"search {path} did not show the records")

    # --- discovery ------------------------------------------------------------------------------
    r.call("well-known-repository", "GET", "/.well-known/repository/", user=None)
    r.call("well-known-models", "GET", "/.well-known/repository/models", user=None)
    r.call("well-known-model", "GET", f"/.well-known/repository/models/{model}", user=None)
    r.call("well-known-schema", "GET", f"/.well-known/repository/schema/{model}-1.0.0.json", user=None)

    # --- drafts ---------------------------------------------------------------------------------
    d = draft(auto, "Auto", "draft-create")
    rid = d["id"]
    r.call("draft-create-no-workflow-400", "POST", f"{api}/", body={"metadata": meta("No workflow")})
    r.call(
        "draft-create-unknown-workflow-400",
        "POST",
        f"{api}/",
        body={"metadata": meta("Bad workflow"), "parent": {"workflow": "nosuch"}},
    )
    r.call(
        "draft-create-invalid",
        "POST",
        f"{api}/",
        body={
            "metadata": {"title": f"Invalid {word}", "year": "not a year", "publication_date": "2024-13-45"},
            "parent": {"workflow": auto},
        },
    )
    r.call("draft-create-unknown-field", "POST", f"{api}/", body={"metadata": {"title": "x", "nosuch": 1}, "parent": {"workflow": auto}})
    r.call("draft-create-anonymous-403", "POST", f"{api}/", user=None, body={"metadata": meta("Anon"), "parent": {"workflow": auto}})
    _, res, got = r.call("draft-get", "GET", f"{api}/{rid}/draft")
    etag = res.getheader("ETag").strip('"')
    r.call("draft-get-vnd", "GET", f"{api}/{rid}/draft", headers={"Accept": "application/vnd.inveniordm.v1+json"})
    upd = dict(got)
    upd["metadata"] = meta("Auto updated", keywords=["physics", "conformance"], year=2024)
    ok(r.call("draft-update", "PUT", f"{api}/{rid}/draft", body=upd, headers={"If-Match": etag}), 200)
    r.call("draft-update-412", "PUT", f"{api}/{rid}/draft", body=upd, headers={"If-Match": "1"})
    r.call("draft-update-ifmatch-quoted", "PUT", f"{api}/{rid}/draft", body=upd, headers={"If-Match": f'"{etag}"'})
    r.call("draft-get-other-user-403", "GET", f"{api}/{rid}/draft", user="other")
    r.call("draft-update-other-user-403", "PUT", f"{api}/{rid}/draft", user="other", body=upd)
    r.call("draft-get-anonymous-403", "GET", f"{api}/{rid}/draft", user=None)
    r.call("draft-get-404", "GET", f"{api}/nosuch-00000/draft")
    r.call("record-get-unpublished-404", "GET", f"{api}/{rid}")

    # --- files ----------------------------------------------------------------------------------
    ok(r.call("files-init", "POST", f"{api}/{rid}/draft/files", body=[{"key": "data.txt"}]), 201)
    r.call("file-entry-pending", "GET", f"{api}/{rid}/draft/files/data.txt")
    r.call("file-content-put", "PUT", f"{api}/{rid}/draft/files/data.txt/content", data=b"hello, NRP\n")
    r.call("file-commit", "POST", f"{api}/{rid}/draft/files/data.txt/commit")
    r.call("files-list", "GET", f"{api}/{rid}/draft/files")
    r.call("file-entry", "GET", f"{api}/{rid}/draft/files/data.txt")
    r.call("file-content-get", "GET", f"{api}/{rid}/draft/files/data.txt/content")
    r.call("file-content-range", "GET", f"{api}/{rid}/draft/files/data.txt/content", headers={"Range": "bytes=0-3"})
    r.call("files-init-duplicate-key-400", "POST", f"{api}/{rid}/draft/files", body=[{"key": "data.txt"}])
    r.call("file-get-404", "GET", f"{api}/{rid}/draft/files/nosuch.txt")
    r.call("file-metadata-update", "PUT", f"{api}/{rid}/draft/files/data.txt", body={"metadata": {"description": "a file"}})
    r.call("files-init-other-user-403", "POST", f"{api}/{rid}/draft/files", user="other", body=[{"key": "x.txt"}])
    # Multipart (transfer M) on local storage.
    size, part = 10 * 1024 * 1024 + 1, 5 * 1024 * 1024
    _, _, mp = r.call(
        "files-init-multipart",
        "POST",
        f"{api}/{rid}/draft/files",
        body=[{"key": "big.bin", "size": size, "transfer": {"type": "M", "parts": 3, "part_size": part}}],
    )
    big = [e for e in (mp or {}).get("entries", []) if e["key"] == "big.bin"]
    if big:
        parts = big[0]["links"].get("parts", [])
        blob = os.urandom(size)
        for i, p in enumerate(parts):
            r.call("file-part-put" if i == 0 else None, "PUT", p["url"], data=blob[i * part : (i + 1) * part])
        r.call("file-entry-multipart-pending", "GET", f"{api}/{rid}/draft/files/big.bin")
        r.call("file-commit-multipart", "POST", f"{api}/{rid}/draft/files/big.bin/commit")
        r.call("file-delete", "DELETE", f"{api}/{rid}/draft/files/big.bin")
    ok(r.call(None, "POST", f"{api}/{rid}/draft/files", body=[{"key": "empty.txt"}]), 201)
    r.call("file-commit-without-content", "POST", f"{api}/{rid}/draft/files/empty.txt/commit")
    r.call(None, "DELETE", f"{api}/{rid}/draft/files/empty.txt")

    # --- publish_draft, auto-approved ------------------------------------------------------------
    r.call("draft-requests-applicable", "GET", f"{api}/{rid}/draft/requests/applicable")
    r.call("draft-publish-direct-403", "POST", f"{api}/{rid}/draft/actions/publish")
    _, sub = request(
        "request-create-publish-draft-auto",
        "request-submit-publish-draft-auto",
        f"{api}/{rid}/draft/requests/publish_draft",
    )
    ok(sub, 200)
    r.call("record-get", "GET", f"{api}/{rid}", user=None)
    r.call("record-get-vnd", "GET", f"{api}/{rid}", user=None, headers={"Accept": "application/vnd.inveniordm.v1+json"})
    r.call("record-files-list", "GET", f"{api}/{rid}/files", user=None)
    r.call("record-file-content", "GET", f"{api}/{rid}/files/data.txt/content", user=None)
    r.call("record-draft-get-after-publish-404", "GET", f"{api}/{rid}/draft")
    r.call("record-requests", "GET", f"{api}/{rid}/requests")
    r.call("record-requests-applicable", "GET", f"{api}/{rid}/requests/applicable")
    r.call("record-requests-applicable-other-user", "GET", f"{api}/{rid}/requests/applicable", user="other")
    r.call("record-edit-direct-403", "POST", f"{api}/{rid}/draft")
    r.call("record-new-version-direct-403", "POST", f"{api}/{rid}/versions")
    r.call("record-get-404", "GET", f"{api}/nosuch-00000", user=None)

    # --- publish_draft, curated: comment, accept ---------------------------------------------------
    c = draft(curated, "Curated", "draft-create-curated")
    cid = c["id"]
    add_file(cid)
    created, sub = request(
        "request-create-publish-draft-curated",
        "request-submit-publish-draft-curated",
        f"{api}/{cid}/draft/requests/publish_draft",
    )
    req = ok(sub, 200)
    rq = f"/api/requests/{req['id']}"
    r.call("request-get", "GET", rq)
    r.call("request-get-extended", "GET", f"/api/requests/extended/{req['id']}")
    r.call("request-get-curator", "GET", rq, user="curator")
    r.call("request-get-other-user-403", "GET", rq, user="other")
    r.call("draft-get-curator-while-submitted", "GET", f"{api}/{cid}/draft", user="curator")
    r.call("draft-update-while-submitted-403", "PUT", f"{api}/{cid}/draft", body={"metadata": meta("Locked")})
    r.call(
        "request-comment",
        "POST",
        f"{rq}/comments",
        user="curator",
        body={"payload": {"content": "Looks good.", "format": "html"}},
    )
    r.call(
        "request-comment-other-user-403",
        "POST",
        f"{rq}/comments",
        user="other",
        body={"payload": {"content": "Me too.", "format": "html"}},
    )
    r.call("request-accept-other-user-403", "POST", f"{rq}/actions/accept", user="other", body={})
    r.call("request-accept-by-creator-403", "POST", f"{rq}/actions/accept", body={})
    r.call("request-accept", "POST", f"{rq}/actions/accept", user="curator", body={})
    r.call("request-accept-again-400", "POST", f"{rq}/actions/accept", user="curator", body={})
    r.call("request-timeline", "GET", f"{rq}/timeline")
    r.call("record-after-accept", "GET", f"{api}/{cid}", user=None)

    # --- decline and cancel ------------------------------------------------------------------------
    x = draft(curated, "Declined")
    add_file(x["id"])
    _, sub = request(None, None, f"{api}/{x['id']}/draft/requests/publish_draft")
    xr = ok(sub, 200)
    r.call(
        "request-decline",
        "POST",
        f"/api/requests/{xr['id']}/actions/decline",
        user="curator",
        body={"payload": {"content": "Please add a description.", "format": "html"}},
    )
    r.call("draft-after-decline", "GET", f"{api}/{x['id']}/draft")
    y = draft(curated, "Cancelled")
    add_file(y["id"])
    _, sub = request(None, None, f"{api}/{y['id']}/draft/requests/publish_draft")
    yr = ok(sub, 200)
    r.call("request-cancel", "POST", f"/api/requests/{yr['id']}/actions/cancel", body={})
    r.call("draft-after-cancel", "GET", f"{api}/{y['id']}/draft")
    z = draft(curated, "Created only")
    add_file(z["id"])
    zr = ok(r.call(None, "POST", f"{api}/{z['id']}/draft/requests/publish_draft", body={}), 201)
    r.call("request-cancel-created", "POST", f"/api/requests/{zr['id']}/actions/cancel", body={})
    r.call("request-create-other-user-403", "POST", f"{api}/{z['id']}/draft/requests/publish_draft", user="other", body={})
    r.call("request-create-unknown-type-500", "POST", f"{api}/{z['id']}/draft/requests/nosuch", body={})
    zr2 = ok(r.call("request-create-again", "POST", f"{api}/{z['id']}/draft/requests/publish_draft", body={}), 201)
    r.call("request-create-duplicate-400", "POST", f"{api}/{z['id']}/draft/requests/publish_draft", body={})
    r.call("draft-requests", "GET", f"{api}/{z['id']}/draft/requests")
    ok(r.call(None, "POST", f"/api/requests/{zr2['id']}/actions/cancel", body={}), 200)
    # delete_draft (auto-approved in both workflows).
    _, sub = request(
        "request-create-delete-draft",
        "request-submit-delete-draft",
        f"{api}/{z['id']}/draft/requests/delete_draft",
    )
    r.call("draft-after-delete-draft", "GET", f"{api}/{z['id']}/draft")
    w = draft(auto, "Deleted directly")
    r.call("draft-delete", "DELETE", f"{api}/{w['id']}/draft")

    # --- edit_published_record -> publish_changed_metadata -------------------------------------
    _, sub = request(
        "request-create-edit-published-record",
        "request-submit-edit-published-record",
        f"{api}/{rid}/requests/edit_published_record",
    )
    _, res, ed = r.call("edit-draft-get", "GET", f"{api}/{rid}/draft")
    ed["metadata"]["title"] = f"Auto edited {word}"
    r.call("edit-draft-update", "PUT", f"{api}/{rid}/draft", body=ed, headers={"If-Match": res.getheader("ETag").strip('"')})
    r.call("edit-draft-requests-applicable", "GET", f"{api}/{rid}/draft/requests/applicable")
    r.call("edit-draft-files-init", "POST", f"{api}/{rid}/draft/files", body=[{"key": "more.txt"}])
    r.call("request-create-new-version-with-edit-draft-500", "POST", f"{api}/{rid}/requests/new_version", body={})
    ok(r.call(None, "DELETE", f"{api}/{rid}/draft/files/more.txt"), 204)
    request(
        "request-create-publish-changed-metadata",
        "request-submit-publish-changed-metadata",
        f"{api}/{rid}/draft/requests/publish_changed_metadata",
    )
    r.call("record-after-edit", "GET", f"{api}/{rid}", user=None)

    # --- new_version -> files-import -> publish_new_version ---------------------------------------
    _, sub = request(
        "request-create-new-version",
        "request-submit-new-version",
        f"{api}/{rid}/requests/new_version",
    )
    nv = ok(sub, 200)["payload"]["draft_record:id"]
    r.call("new-version-draft-get", "GET", f"{api}/{nv}/draft")
    r.call("new-version-files-list", "GET", f"{api}/{nv}/draft/files")
    r.call("new-version-requests-applicable", "GET", f"{api}/{nv}/draft/requests/applicable")
    r.call("request-create-publish-new-version-no-files-400", "POST", f"{api}/{nv}/draft/requests/publish_new_version", body={})
    r.call("new-version-import-files", "POST", f"{api}/{nv}/draft/actions/files-import")
    request(
        "request-create-publish-new-version",
        "request-submit-publish-new-version",
        f"{api}/{nv}/draft/requests/publish_new_version",
    )
    r.call("versions-list", "GET", f"{api}/{rid}/versions", user=None)
    r.call("latest-version", "GET", f"{api}/{rid}/versions/latest", user=None)

    # --- new version through a curated workflow: the curator accepts publish_new_version ----------
    _, sub = request(None, None, f"{api}/{cid}/requests/new_version")
    cnv = ok(sub, 200)["payload"]["draft_record:id"]
    ok(r.call(None, "POST", f"{api}/{cnv}/draft/actions/files-import"), 201)
    _, sub = request(None, "request-submit-publish-new-version-curated", f"{api}/{cnv}/draft/requests/publish_new_version")
    r.call("request-accept-publish-new-version", "POST", f"/api/requests/{ok(sub, 200)['id']}/actions/accept", user="curator", body={})

    # --- searches -----------------------------------------------------------------------------------
    # Both versions of both published records (every version is listed, see the README).
    wait_search(f"{api}/?q={word}", None, 4)
    wait_search(f"/api/search/?q={word}", None, 4)
    r.call("search-model", "GET", f"{api}/?q={word}&sort=newest", user=None)
    r.call("search-model-facet", "GET", f"{api}/?q={word}&metadata_resource_type=dataset", user=None)
    r.call("search-model-allversions", "GET", f"{api}/?q={word}&allversions=true", user=None)
    r.call("search-user-model", "GET", f"/api/user/{model}/?q={word}")
    r.call("search-user-model-anonymous", "GET", f"/api/user/{model}/", user=None)
    r.call("search-global", "GET", f"/api/search/?q={word}", user=None)
    r.call("search-global-no-slash", "GET", f"/api/search?q={word}", user=None)
    r.call("search-user-global", "GET", f"/api/user/search/?q={word}")
    r.call("search-invalid-sort-400", "GET", f"{api}/?sort=nosuch", user=None)
    r.call("search-invalid-query", "GET", f"{api}/?q=title:(unclosed", user=None)
    r.call("search-page-past-window-400", "GET", f"{api}/?page=1000&size=100", user=None)
    r.call("requests-search", "GET", "/api/requests/?q=&sort=newest")
    r.call("requests-search-no-slash", "GET", "/api/requests?q=")
    r.call("requests-search-curator", "GET", "/api/requests/?q=status:submitted", user="curator")
    r.call("user-requests", "GET", "/api/user/requests")

    # --- delete_published_record ------------------------------------------------------------------
    r.call("request-create-delete-published-record-no-reason-400", "POST", f"{api}/{rid}/requests/delete_published_record", body={})
    r.call(
        "request-create-delete-published-record-other-user-403",
        "POST",
        f"{api}/{rid}/requests/delete_published_record",
        user="other",
        body={"payload": {"removal_reason": "spam"}},
    )
    request(
        "request-create-delete-published-record",
        "request-submit-delete-published-record",
        f"{api}/{nv}/requests/delete_published_record",
        body={"payload": {"removal_reason": "duplicate"}},
    )
    r.call("record-get-deleted-410", "GET", f"{api}/{nv}", user=None)
    r.call("record-get-deleted-as-admin", "GET", f"{api}/{nv}", user="admin")
    # The curated workflow: the curator accepts the deletion.
    _, sub = request(
        None,
        "request-submit-delete-published-record-curated",
        f"{api}/{cid}/requests/delete_published_record",
        body={"payload": {"removal_reason": "spam"}},
    )
    r.call("request-accept-delete-published-record", "POST", f"/api/requests/{ok(sub, 200)['id']}/actions/accept", user="curator", body={})
    r.call("record-get-deleted-curated-410", "GET", f"{api}/{cid}", user=None)
    r.call("record-delete-direct-admin", "DELETE", f"{api}/{rid}", user="admin")

    print(f"{len(r.names)} exchanges recorded in {out}", file=sys.stderr)


if __name__ == "__main__":
    main()
