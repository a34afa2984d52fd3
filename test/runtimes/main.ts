// Runs the shared scenario under Deno or Bun: `deno run -A main.ts` / `bun main.ts`, with
// NRP_SCENARIO_URL and NRP_SCENARIO_TOKEN set. Prints the result as one JSON line.

import process from "node:process";
import * as lib from "nrp-invenio-client";
import { runScenario } from "./scenario.ts";

const serverUrl = process.env.NRP_SCENARIO_URL;
const token = process.env.NRP_SCENARIO_TOKEN;
if (serverUrl === undefined || token === undefined) {
  throw new Error("set NRP_SCENARIO_URL and NRP_SCENARIO_TOKEN");
}
const result = await runScenario(lib, {
  serverUrl,
  token,
  log: (line) => {
    process.stderr.write(`${line}\n`);
  },
});
process.stdout.write(`${JSON.stringify(result)}\n`);
