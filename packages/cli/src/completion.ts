import type { Command } from "commander";

import { UsageError } from "./errors.js";

/** The shells `nrp completion` writes a script for. */
export const SHELLS = ["bash", "zsh", "fish"] as const;

/** One of {@link SHELLS}. */
export type Shell = (typeof SHELLS)[number];

/** The long option flags of a command (`--format`, `--no-color`, ...). */
function longFlags(cmd: Command): string[] {
  return cmd.options.map((o) => o.long).filter((f): f is string => f !== undefined);
}

/** The names a command answers to: its name and its aliases. */
function names(cmd: Command): string[] {
  return [cmd.name(), ...cmd.aliases()];
}

/** The command tree as words: first-level words, their second-level words and leaf options. */
interface Tree {
  top: string[];
  globals: string[];
  children: Map<string, string[]>;
  options: Map<string, string[]>;
}

function treeOf(program: Command): Tree {
  const children = new Map<string, string[]>();
  const options = new Map<string, string[]>();
  for (const group of program.commands) {
    const subs = group.commands.filter((c) => c.name() !== "help");
    for (const name of names(group)) {
      children.set(
        name,
        subs.flatMap((c) => names(c)),
      );
      for (const sub of subs) {
        for (const subName of names(sub)) options.set(`${name} ${subName}`, longFlags(sub));
      }
    }
  }
  return {
    top: program.commands.filter((c) => c.name() !== "help").flatMap((c) => names(c)),
    globals: [...longFlags(program), "--help"],
    children,
    options,
  };
}

const q = (words: readonly string[]): string => words.join(" ");

function bash(tree: Tree): string {
  const second = [...tree.children]
    .map(([word, subs]) => `    ${word}) words="${q(subs)}" ;;`)
    .join("\n");
  const opts = [...tree.options]
    .map(([path, flags]) => `    "${path}") words="${q(flags)} $words" ;;`)
    .join("\n");
  return `# nrp completion for bash: add to ~/.bashrc
#   source <(nrp completion bash)
_nrp_complete() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" prev="\${COMP_WORDS[COMP_CWORD-1]}" words="" i w
  local -a found=()
  case "$prev" in
    --format) COMPREPLY=($(compgen -W "table json jsonl yaml" -- "$cur")); return ;;
    --config|-o|--output) COMPREPLY=($(compgen -f -- "$cur")); return ;;
    --alias|--max-wait) COMPREPLY=(); return ;;
  esac
  for ((i = 1; i < COMP_CWORD; i++)); do
    w="\${COMP_WORDS[i]}"
    case "$w" in
      --alias|--config|--format|--max-wait) i=$((i + 1)) ;;
      -*) ;;
      *) found+=("$w") ;;
    esac
  done
  if [[ "$cur" == -* ]]; then
    words="${q(tree.globals)}"
    case "\${found[0]:-} \${found[1]:-}" in
${opts}
    esac
  elif [ \${#found[@]} -eq 0 ]; then
    words="${q(tree.top)}"
  elif [ \${#found[@]} -eq 1 ]; then
    case "\${found[0]}" in
${second}
    esac
  else
    COMPREPLY=($(compgen -f -- "$cur"))
    return
  fi
  COMPREPLY=($(compgen -W "$words" -- "$cur"))
}
complete -o default -F _nrp_complete nrp
`;
}

function zsh(tree: Tree): string {
  return (
    `# nrp completion for zsh: add to ~/.zshrc
#   source <(nrp completion zsh)
autoload -U +X bashcompinit && bashcompinit
` +
    bash(tree)
      .split("\n")
      .filter((line) => !line.startsWith("#"))
      .join("\n")
  );
}

function fish(tree: Tree): string {
  const lines = [
    "# nrp completion for fish: save as ~/.config/fish/completions/nrp.fish",
    "#   nrp completion fish > ~/.config/fish/completions/nrp.fish",
    "complete -c nrp -f",
    `complete -c nrp -n "__fish_use_subcommand" -a "${q(tree.top)}"`,
    'complete -c nrp -l format -x -a "table json jsonl yaml"',
    ...tree.globals.filter((f) => f !== "--format").map((f) => `complete -c nrp -l ${f.slice(2)}`),
  ];
  for (const [word, subs] of tree.children) {
    if (subs.length === 0) continue;
    lines.push(
      `complete -c nrp -n "__fish_seen_subcommand_from ${word}; and not __fish_seen_subcommand_from ${q(subs)}" -a "${q(subs)}"`,
    );
  }
  for (const [path, flags] of tree.options) {
    const [first, second] = path.split(" ");
    for (const flag of flags) {
      lines.push(
        `complete -c nrp -n "__fish_seen_subcommand_from ${first ?? ""}; and __fish_seen_subcommand_from ${second ?? ""}" -l ${flag.slice(2)}`,
      );
    }
  }
  return `${lines.join("\n")}\n`;
}

/**
 * The completion script of `nrp` for `shell`, generated from the command tree so that it never
 * falls behind the commands.
 */
export function completionScript(program: Command, shell: string): string {
  if (!(SHELLS as readonly string[]).includes(shell)) {
    throw new UsageError(
      `No completion for the shell "${shell}".`,
      `Choose one of ${SHELLS.join(", ")}, e.g. "source <(nrp completion bash)".`,
    );
  }
  const tree = treeOf(program);
  if (shell === "fish") return fish(tree);
  return shell === "zsh" ? zsh(tree) : bash(tree);
}
