// The scenario's browser side: bundled into the test page, it imports the package's browser entry
// by name (the page's import map points at `dist/browser.bundle.js`) and runs the shared scenario
// with the devserver address and token from the page's query string.

import * as lib from "nrp-invenio-client";
import { runScenario } from "./scenario.ts";
import type { ScenarioResult } from "./scenario.ts";

const { location } = globalThis as unknown as { location: { search: string } };
const params = new URLSearchParams(location.search);
const lines: string[] = [];
const state = globalThis as unknown as {
  scenario?: { result?: ScenarioResult; error?: string; lines: string[] };
};
state.scenario = { lines };
runScenario(lib, {
  serverUrl: params.get("server") ?? "",
  token: params.get("token") ?? "",
  log: (line) => lines.push(line),
}).then(
  (result) => {
    state.scenario = { result, lines };
  },
  (error: unknown) => {
    state.scenario = {
      error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
      lines,
    };
  },
);
