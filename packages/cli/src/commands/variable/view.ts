import type { Column } from "../../output.js";

/** How a variable is shown and returned in machine formats. */
export interface VariableView extends Record<string, unknown> {
  /** The variable name, without `@`. */
  name: string;
  /** The repository alias it belongs to. */
  alias: string;
  /** Its values, in order. */
  values: string[];
}

/** The table row of a variable: one value per line. */
export function variableRow(view: VariableView): Record<string, unknown> {
  return { name: `@${view.name}`, values: view.values.join("\n") };
}

/** The columns of `nrp list variables`. */
export const VARIABLE_COLUMNS: readonly Column[] = [{ key: "name" }, { key: "values" }];
