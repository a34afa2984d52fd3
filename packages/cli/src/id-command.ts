import type { CommandContext } from "./context.js";
import { defineCommand, optionalString, requiredString } from "./define.js";
import type { ArgumentSpec, CommandDefinition, Example, NounKey } from "./define.js";
import { expandIds } from "./record-ids.js";
import { parseSetTarget } from "./variables.js";
import type { SetTarget } from "./variables.js";

/** The input of a command that acts on one id, with an optional text argument and `--set`. */
export interface IdCommandInput {
  /** The id as typed (may be `@VAR`). */
  id: string;
  /** The optional second argument (a reason, a comment), when the command takes one. */
  text: string | undefined;
  /** The `--set` target, when the command offers it. */
  set: SetTarget | undefined;
}

/** What differs between commands that act on one record or request id. */
export interface IdCommandSpec {
  /** The verb, e.g. `edit` or `accept`. */
  verb: string;
  /** The noun group. */
  noun: NounKey;
  /** One line for command lists. */
  summary: string;
  /** The longer `--help` text. */
  description: string;
  /** What `<id>` names. */
  idDescription: string;
  /** An optional trailing argument, e.g. `[reason]`, or a required one, e.g. `<text>`. */
  text?: ArgumentSpec;
  /** Help of `--set` when the command stores its result in a variable. */
  setHelp?: string;
  /** One to three examples. */
  examples: readonly Example[];
  /**
   * Does the work with the id already expanded from `@VAR` (one value only).
   *
   * `input.id` is the id as typed, for messages and hints.
   */
  run(ctx: CommandContext, id: string, input: IdCommandInput): Promise<void>;
}

/**
 * Declares a command of the shape `nrp <verb> <noun> <id> [text] [--set VAR]`.
 *
 * Edit, new version and the request actions share this shape; declaring it once keeps their
 * parsing and `@VAR` handling identical.
 */
export function defineIdCommand(spec: IdCommandSpec): CommandDefinition<IdCommandInput> {
  const args: ArgumentSpec[] = [{ name: "<id>", description: spec.idDescription }];
  if (spec.text) args.push(spec.text);
  const textName = spec.text?.name;
  const textRequired = textName?.startsWith("<") === true;
  const setHelp = spec.setHelp;
  return defineCommand({
    verb: spec.verb,
    noun: spec.noun,
    summary: spec.summary,
    description: spec.description,
    arguments: args,
    ...(setHelp === undefined
      ? {}
      : {
          options(cmd) {
            cmd.option("--set <var>", setHelp);
          },
        }),
    examples: spec.examples,
    parse(argv, opts): IdCommandInput {
      const set = optionalString(opts["set"], "--set");
      const text =
        textName === undefined
          ? undefined
          : textRequired
            ? requiredString(argv[1], textName)
            : optionalString(argv[1], textName);
      return {
        id: requiredString(argv[0], "<id>"),
        text,
        set: set === undefined ? undefined : parseSetTarget(set),
      };
    },
    async run(ctx, input) {
      const [id = input.id] = await expandIds(ctx, [input.id], { single: true });
      await spec.run(ctx, id, input);
    },
  });
}
