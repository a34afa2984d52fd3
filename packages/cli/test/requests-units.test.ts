import { ActionNotAvailableError } from "nrp-invenio-client";
import { beforeAll, describe, expect, it } from "vitest";

import { run, tempHome } from "./helpers.js";

import { loadClient } from "../src/client-module.js";
import { reportError } from "../src/errors.js";
import { availableActions, requestIdOf } from "../src/request-api.js";
import {
  eventRow,
  itemsOf,
  receiverText,
  reference,
  requestFields,
  requestRow,
} from "../src/request-view.js";

const REQUEST = {
  id: "5b0d7d8e-3f2a-4d6c-9a1b-2c3d4e5f6a7b",
  created: "2025-01-14T10:30:00.000000+00:00",
  type: "publish_draft",
  status: "submitted",
  number: "17",
  created_by: { user: "1" },
  receiver: { community_role: "6f1b:curator" },
  topic: { documents: "x3b2p-4dq71" },
  payload: { "published_record:links:self": "https://h/api/documents/x3b2p-4dq71" },
  links: {
    self: "https://h/api/requests/extended/5b0d7d8e-3f2a-4d6c-9a1b-2c3d4e5f6a7b",
    actions: { accept: "https://h/a", decline: "https://h/d" },
    topic: { self: "https://h/api/documents/x3b2p-4dq71/draft" },
  },
};

// nrp imports the library on first use; its errors are told apart once it is loaded, as in a
// command, which loads it before any call that could throw one.
beforeAll(async () => {
  await loadClient();
});

describe("request views", () => {
  it("a row shows id, type, status, topic, receiver, creator, time and actions", () => {
    expect(requestRow(REQUEST)).toEqual({
      id: REQUEST.id,
      type: "publish_draft",
      status: "submitted",
      topic: "documents:x3b2p-4dq71",
      receiver: "curator@6f1b",
      created_by: "user:1",
      created: "2025-01-14 10:30:00",
      actions: ["accept", "decline"],
    });
  });

  it("fields list the payload and the available actions", () => {
    const fields = Object.fromEntries(requestFields(REQUEST));
    expect(fields["payload"]).toBe(
      "published_record:links:self: https://h/api/documents/x3b2p-4dq71",
    );
    expect(fields["actions"]).toBe("accept, decline");
    expect(fields["api"]).toBe(REQUEST.links.self);
    expect(Object.fromEntries(requestFields({ id: "x" }))["actions"]).toBe("(none)");
  });

  it("references and receivers read as words", () => {
    expect(reference({ user: "3" })).toBe("user:3");
    expect(reference(null)).toBeUndefined();
    expect(receiverText({ community_role: "abc:curator" })).toBe("the curators of community abc");
    expect(receiverText({ community: "abc" })).toBe("the curators of community abc");
    expect(receiverText({ user: "1" })).toBe("user 1");
    expect(receiverText(null)).toBe("its receiver");
  });

  it("timeline events show a comment's text or a log's event", () => {
    expect(
      eventRow({ type: "C", payload: { content: "hi" }, created_by: { user: "2" } }),
    ).toMatchObject({
      type: "C",
      created_by: "user:2",
      text: "hi",
    });
    expect(eventRow({ type: "L", payload: { event: "accepted" } })["text"]).toBe("accepted");
  });

  it("items come from search bodies, arrays and iterables of library objects", () => {
    expect(itemsOf({ hits: { hits: [{ id: 1 }] } })).toEqual([{ id: 1 }]);
    expect(itemsOf(new Set([{ toDict: () => ({ id: 2 }) }]))).toEqual([{ id: 2 }]);
    expect(itemsOf(undefined)).toEqual([]);
  });

  it("request ids come from uuids and request URLs", () => {
    expect(requestIdOf(REQUEST.id)).toBe(REQUEST.id);
    expect(requestIdOf(REQUEST.links.self)).toBe(REQUEST.id);
    expect(requestIdOf(`https://h/api/requests/${REQUEST.id}`)).toBe(REQUEST.id);
    expect(requestIdOf(`https://h/api/requests/extended/${REQUEST.id}/`)).toBe(REQUEST.id);
    expect(requestIdOf(`https://h/me/requests/${REQUEST.id}`)).toBe(REQUEST.id);
    expect(availableActions(REQUEST)).toEqual(["accept", "decline"]);
  });

  it("anything that is not a request id or request URL is a usage error saying what was given", () => {
    const given = (value: string) => {
      try {
        requestIdOf(value);
      } catch (err) {
        return reportError(err);
      }
      throw new Error(`accepted ${value}`);
    };
    const record = given("https://h/api/datasets/abcde-12345/draft");
    expect(record.exitCode).toBe(2);
    expect(record.message).toBe(
      'The URL "https://h/api/datasets/abcde-12345/draft" is not a request: expected a request id, ' +
        "a request API URL (…/api/requests/<id>) or an @variable holding one.",
    );
    expect(record.hint).toContain("nrp list requests https://h/api/datasets/abcde-12345/draft");
    expect(given("https://h/api/requests/").exitCode).toBe(2);
    expect(given("https://h/api/datasets/abcde-12345/requests").exitCode).toBe(2);
    expect(given("datasets/abcde-12345").hint).toContain("nrp list requests datasets/abcde-12345");
    expect(given("doi:10.1234/x").exitCode).toBe(2);
    expect(given("  ").exitCode).toBe(2);
  });
});

describe("request errors", () => {
  it("an action the request does not offer now exits 5 with the available ones", () => {
    const err = new ActionNotAvailableError(
      "Cannot accept request x (publish_draft, status created): the actions available to you now are submit, cancel.",
      { action: "accept", available: ["submit", "cancel"], requestId: "x" },
    );
    const report = reportError(err);
    expect(report.exitCode).toBe(5);
    expect(report.message).toContain("submit, cancel");
  });
});

describe("request command line", () => {
  it.each([
    ["list", "requests"],
    ["requests", "ls"],
    ["create", "request"],
    ["get", "request"],
    ["update", "request"],
    ["submit", "request"],
    ["cancel", "request"],
    ["accept", "request"],
    ["decline", "request"],
    ["request", "accept"],
    ["comment", "request"],
    ["timeline", "request"],
  ])("nrp %s %s --help has a description and examples", async (a, b) => {
    const r = await run([a, b, "--help"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Usage: nrp \S+ \S+/);
    expect(r.stdout).toContain("Examples:");
  });

  it("publish, edit, version and delete record --help mention requests", async () => {
    expect((await run(["publish", "record", "--help"])).stdout).toContain("publish request");
    expect((await run(["delete", "record", "--help"])).stdout).toContain("--reason");
  });

  it("list requests needs exactly one of <record>, --inbox, --mine", async () => {
    const home = await tempHome();
    try {
      const none = await run(["--config", home.config, "list", "requests"], { env: home.env });
      expect(none.code).toBe(2);
      expect(none.stderr).toContain("Give exactly one of <record>, --inbox or --mine.");
      const both = await run(["--config", home.config, "list", "requests", "--inbox", "--mine"], {
        env: home.env,
      });
      expect(both.code).toBe(2);
      const status = await run(
        ["--config", home.config, "list", "requests", "--inbox", "--status", "x"],
        {
          env: home.env,
        },
      );
      expect(status.code).toBe(2);
    } finally {
      await home.cleanup();
    }
  });

  it("delete record --note without --reason is a usage error", async () => {
    const r = await run(["delete", "record", "x", "--note", "n", "--yes"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--note and --set go with --reason");
  });
});
