import type { CommandDefinition } from "../define.js";
import addAlias from "./alias/add.js";
import listAliases from "./alias/list.js";
import removeAlias from "./alias/remove.js";
import selectAlias from "./alias/select.js";
import describeModels from "./models/describe.js";
import describeRepository from "./repository/describe.js";
import getVariable from "./variable/get.js";
import listVariables from "./variable/list.js";
import removeVariable from "./variable/remove.js";
import setVariable from "./variable/set.js";

/** Every command, in the order help lists them. */
export const COMMANDS: readonly CommandDefinition<unknown>[] = [
  addAlias,
  selectAlias,
  removeAlias,
  listAliases,
  describeRepository,
  describeModels,
  setVariable,
  getVariable,
  listVariables,
  removeVariable,
];
