import { readFile } from "node:fs/promises";
import { dirname, join } from "node:path";

import { CliError, ExitCode, UsageError } from "./errors.js";
import { yaml } from "./lazy-require.js";
import { writePrivateFile } from "./private-file.js";

/** The file name of the variables store, next to the configuration file. */
export const VARIABLES_FILE = "variables.yaml";

/** What a variable name may look like: a word, so `@name` is unambiguous on a command line. */
export const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

/**
 * Checks a variable name, accepting and dropping a leading `@` (users often type `@r` everywhere).
 */
export function checkVariableName(raw: string): string {
  const name = raw.startsWith("@") ? raw.slice(1) : raw;
  if (!VARIABLE_NAME.test(name)) {
    throw new UsageError(
      `"${raw}" is not a valid variable name.`,
      "Use letters, digits, '_', '.' and '-', starting with a letter or '_'.",
    );
  }
  return name;
}

/**
 * Where a `--set` target writes: the variable name and whether to append (`--set +name`).
 *
 * Appending lets a loop collect the records it creates into one variable.
 */
export interface SetTarget {
  /** The variable name. */
  name: string;
  /** Append to the existing values instead of replacing them. */
  append: boolean;
}

/** Parses a `--set` value: `name` replaces, `+name` appends. */
export function parseSetTarget(raw: string): SetTarget {
  const append = raw.startsWith("+");
  return { name: checkVariableName(append ? raw.slice(1) : raw), append };
}

/**
 * Named lists of record ids, stored per repository alias in `<config dir>/variables.yaml`.
 *
 * Keyed by alias because an id such as `datasets/abcde-12345` means different records on different
 * repositories; kept beside the configuration (not in the working directory) so the same `@name`
 * works wherever the shell happens to be. The file is written atomically with mode 0600.
 */
export class VariableStore {
  /** The file the variables are read from and written to. */
  readonly path: string;
  readonly #data: Map<string, Map<string, string[]>>;

  private constructor(path: string, data: Map<string, Map<string, string[]>>) {
    this.path = path;
    this.#data = data;
  }

  /** The store that belongs to a configuration file: `variables.yaml` in the same directory. */
  static pathFor(configPath: string): string {
    return join(dirname(configPath), VARIABLES_FILE);
  }

  /** Reads the store; a missing file is an empty store. */
  static async load(path: string): Promise<VariableStore> {
    let text: string;
    try {
      text = await readFile(path, "utf8");
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT")
        return new VariableStore(path, new Map());
      throw new CliError(`Cannot read the variables file ${path}.`, {
        code: "variables",
        hint: "Check that the file is readable.",
        cause: err,
      });
    }
    return new VariableStore(path, VariableStore.#parse(text, path));
  }

  static #parse(text: string, path: string): Map<string, Map<string, string[]>> {
    const invalid = (why: string): CliError =>
      new CliError(`The variables file ${path} is invalid: ${why}.`, {
        code: "variables",
        hint: "Fix it, or delete it to start with no variables.",
      });
    const doc = yaml().parseDocument(text);
    const first = doc.errors[0];
    if (first) {
      const pos = first.linePos?.[0];
      throw invalid(`YAML error${pos ? ` at line ${pos.line}, column ${pos.col}` : ""}`);
    }
    const raw: unknown = doc.toJS();
    const data = new Map<string, Map<string, string[]>>();
    if (raw === null || raw === undefined) return data;
    if (!isPlainObject(raw)) throw invalid("the top level must be a mapping of aliases");
    for (const [alias, vars] of Object.entries(raw)) {
      if (vars === null || vars === undefined) continue;
      if (!isPlainObject(vars)) throw invalid(`"${alias}" must map variable names to lists`);
      const byName = new Map<string, string[]>();
      for (const [name, values] of Object.entries(vars)) {
        const list: unknown[] = Array.isArray(values) ? values : [values];
        if (!list.every((v) => typeof v === "string")) {
          throw invalid(`"${alias}.${name}" must be a list of strings`);
        }
        byName.set(name, list);
      }
      data.set(alias, byName);
    }
    return data;
  }

  /** The variables of one alias, sorted by name. */
  list(alias: string): { name: string; values: string[] }[] {
    const vars = this.#data.get(alias) ?? new Map<string, string[]>();
    return [...vars.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([name, values]) => ({ name, values: [...values] }));
  }

  /** The values of a variable, or `undefined` when it is not set. */
  get(alias: string, name: string): string[] | undefined {
    const values = this.#data.get(alias)?.get(name);
    return values === undefined ? undefined : [...values];
  }

  /**
   * The values of a variable; an unknown name is a usage error that lists the known ones.
   */
  require(alias: string, name: string): string[] {
    const values = this.get(alias, name);
    if (values !== undefined) return values;
    const known = this.list(alias).map((v) => `@${v.name}`);
    const elsewhere = [...this.#data.entries()]
      .filter(([other, vars]) => other !== alias && vars.has(name))
      .map(([other]) => other);
    const first = elsewhere[0];
    if (first !== undefined) {
      // The same name under another alias: variables are kept per repository alias.
      throw new UsageError(
        `There is no variable @${name} for the repository "${alias}"; variables are kept per ` +
          `alias, and @${name} exists under ${elsewhere.map((a) => `"${a}"`).join(", ")}.`,
        `Run the command with --alias ${first}, or store it for "${alias}" with ` +
          `"nrp set variable ${name} <id>" (its value: "nrp --alias ${first} get variable ${name}").`,
      );
    }
    throw new UsageError(
      `There is no variable @${name} for the repository "${alias}".`,
      known.length > 0
        ? `Known variables: ${known.join(", ")}.`
        : `Set it with --set ${name} on create/edit/version, or "nrp set variable ${name} <id>".`,
    );
  }

  /** Sets (or, with `append`, extends) a variable. */
  set(alias: string, name: string, values: readonly string[], append = false): string[] {
    let vars = this.#data.get(alias);
    if (!vars) {
      vars = new Map();
      this.#data.set(alias, vars);
    }
    const next = append ? [...(vars.get(name) ?? []), ...values] : [...values];
    vars.set(name, next);
    return [...next];
  }

  /** Removes a variable; returns its former values, or `undefined` when it was not set. */
  remove(alias: string, name: string): string[] | undefined {
    const vars = this.#data.get(alias);
    const values = vars?.get(name);
    if (!vars || values === undefined) return undefined;
    vars.delete(name);
    if (vars.size === 0) this.#data.delete(alias);
    return values;
  }

  /** The YAML text {@link save} writes. */
  toYAML(): string {
    const out: Record<string, Record<string, string[]>> = {};
    for (const [alias, vars] of [...this.#data.entries()].sort(([a], [b]) => a.localeCompare(b))) {
      out[alias] = Object.fromEntries([...vars.entries()].sort(([a], [b]) => a.localeCompare(b)));
    }
    return (
      "# nrp variables: repository alias -> variable name -> values (record ids or URLs).\n" +
      yaml().stringify(out, { lineWidth: 0 })
    );
  }

  /**
   * Writes the store atomically (temporary file, then rename) with mode 0600 in a 0700 directory.
   *
   * Values are URLs of private drafts; other local users have no business reading them.
   */
  async save(): Promise<void> {
    try {
      await writePrivateFile(this.path, this.toYAML());
    } catch (err) {
      throw new CliError(`Cannot write the variables file ${this.path}.`, {
        exitCode: ExitCode.usage,
        code: "variables",
        hint: "Check that the directory is writable.",
        cause: err,
      });
    }
  }
}

/** True for a non-null, non-array object. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
