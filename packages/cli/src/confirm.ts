import { UsageError } from "./errors.js";
import type { CliIO } from "./io.js";

/**
 * Fails early when a destructive command cannot ask for confirmation: no `--yes` and no terminal.
 *
 * Checked before any network call, so a script that forgot `--yes` changes nothing.
 */
export function requireConfirmable(io: Pick<CliIO, "prompt">, yes: boolean, what: string): void {
  if (yes || io.prompt) return;
  throw new UsageError(
    `Refusing to ${what} without confirmation: standard input is not a terminal.`,
    "Pass --yes to confirm in scripts.",
  );
}

/**
 * Asks a yes/no question on the terminal; only an explicit "y" or "yes" confirms.
 *
 * Returns true at once under `--yes`. The default is "no": an accidental Enter deletes nothing.
 */
export async function confirm(
  io: Pick<CliIO, "prompt">,
  yes: boolean,
  question: string,
): Promise<boolean> {
  if (yes) return true;
  const prompt = io.prompt;
  if (!prompt) {
    throw new UsageError(
      "Cannot ask for confirmation: standard input is not a terminal.",
      "Pass --yes.",
    );
  }
  const answer = (await prompt(`${question} [y/N] `, { secret: false })).trim().toLowerCase();
  return answer === "y" || answer === "yes";
}
