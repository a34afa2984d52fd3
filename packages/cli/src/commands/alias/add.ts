import { isIP } from "node:net";

import type {
  NRPInvenioClient,
  NRPModelInfo,
  NRPRepositoryInfo,
  RepositoryConfig,
} from "nrp-invenio-client";

import { loadClient } from "../../client-module.js";
import type { CommandContext } from "../../context.js";
import { defineCommand, flag, optionalString, requiredString } from "../../define.js";
import { CliError, ExitCode, UsageError, isTlsFailure, withHint } from "../../errors.js";
import { aliasView } from "./view.js";

/** The input of `nrp add alias`, after parsing. */
export interface AddAliasInput {
  url: string;
  alias: string | undefined;
  makeDefault: boolean;
  token: string | undefined;
  skipToken: boolean;
  verify: boolean | string;
  force: boolean;
  check: boolean;
  allowInsecureHttp: boolean;
}

/**
 * Normalises a repository URL to origin + path without a trailing slash; `https://` is assumed when
 * no scheme is given.
 *
 * One spelling per repository keeps aliases comparable and the token URL well-formed.
 */
export function normaliseUrl(raw: string): string {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(raw) ? raw : `https://${raw}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw new UsageError(`"${raw}" is not a valid URL.`, "Example: https://repository.example.org");
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    throw new UsageError(`"${raw}" is not an http(s) URL.`);
  }
  if (url.username || url.password) {
    throw new UsageError(
      "The URL must not contain a user name or password.",
      "Pass the token with --token instead.",
    );
  }
  return (url.origin + url.pathname).replace(/\/+$/, "");
}

/**
 * The alias used when none is given: the host name's first label (`repo` for `repo.example.org`),
 * or the whole address for an IP.
 */
export function defaultAlias(url: string): string {
  const host = new URL(url).hostname.replace(/^\[|\]$/g, "");
  if (isIP(host) !== 0) return host;
  return host.split(".")[0] ?? host;
}

/**
 * Whether `url` names this machine: `localhost` (and names below it), 127.0.0.0/8 or ::1.
 *
 * Plain http to this machine does not leave it, so a token sent there is not exposed on a network.
 */
export function isLoopback(url: string): boolean {
  const host = new URL(url).hostname
    .replace(/^\[|\]$/g, "")
    .replace(/\.$/, "")
    .toLowerCase();
  if (host === "localhost" || host.endsWith(".localhost")) return true;
  if (isIP(host) === 4) return host.startsWith("127.");
  if (isIP(host) === 6) {
    if (host === "::1") return true;
    // IPv4-mapped 127.x.y.z, as the URL parser writes it (::ffff:7f00:1).
    return /^::ffff:7f[0-9a-f]{2}:[0-9a-f]{1,4}$/.test(host);
  }
  return false;
}

/**
 * Refuses (without `--allow-insecure-http`) or warns about a token for a plain-http repository
 * on another machine: every request would carry it in clear text over the network.
 *
 * Runs before the token is asked for or any request is sent, so a refused token never leaves.
 */
function checkCleartext(ctx: CommandContext, input: AddAliasInput): void {
  if (input.skipToken || new URL(input.url).protocol !== "http:" || isLoopback(input.url)) return;
  const warning =
    `${input.url} uses plain http: the access token would be sent in clear text with every ` +
    "request, readable by anyone on the network path.";
  if (!input.allowInsecureHttp) {
    throw new UsageError(
      `${warning} Nothing was sent or saved.`,
      "Use the repository's https:// address, pass --skip-token for anonymous access, or " +
        "--allow-insecure-http if the network is trusted.",
    );
  }
  // Written even under --quiet: the user accepted a risk and should see it named.
  ctx.io.stderr.write(`Warning: ${warning}\n`);
}

/**
 * Warns about a path after the host (`https://repo.example.org/api`, a pasted record page): an
 * alias names the repository's address, and Invenio's API lives at `<origin>/api`.
 */
function warnPath(ctx: CommandContext, url: string): void {
  const { origin, pathname } = new URL(url);
  if (pathname === "/" || pathname === "") return;
  ctx.output.warn(
    `${url} has a path (${pathname}); a repository alias is usually its bare address, ` +
      `${origin}, under which nrp finds /api and /.well-known/repository. Add it as ${origin} ` +
      "unless the repository really lives under that path.",
  );
}

const ALIAS_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:-]*$/;

async function askForToken(ctx: CommandContext, url: string): Promise<string> {
  const prompt = ctx.io.prompt;
  if (!prompt) {
    throw new UsageError(
      "No token given, and there is no terminal to ask for one.",
      "Pass --token <token>, or --skip-token to use the repository anonymously.",
    );
  }
  const tokenUrl = `${url}/account/settings/applications/tokens/new`;
  // Written even under --quiet: the user cannot continue without it.
  ctx.io.stderr.write(`Create an access token at:\n  ${tokenUrl}\n`);
  const opened = ctx.io.openBrowser ? await ctx.io.openBrowser(tokenUrl).catch(() => false) : false;
  if (opened) ctx.output.info("(opened in your browser)");
  const token = (await prompt("Paste the token here (input is hidden): ", { secret: true })).trim();
  if (token === "") {
    throw new UsageError(
      "No token entered.",
      "Run the command again and paste the token, or pass --skip-token for anonymous access.",
    );
  }
  return token;
}

function describeFound(info: NRPRepositoryInfo, models: readonly NRPModelInfo[]): string {
  const kind = info.isRdm ? "InvenioRDM repository" : "NRP repository";
  const names = models.map((m) => m.name);
  const shown = names.length > 8 ? [...names.slice(0, 8), `and ${names.length - 8} more`] : names;
  const version = info.version ? `, version ${info.version}` : "";
  return `Found "${info.name}" (${kind}${version}); models: ${shown.join(", ") || "(none)"}.`;
}

/**
 * Checks the token with one read that needs a signed-in user (the caller's requests: Invenio
 * answers 403 to anonymous callers there on both flavours, while `/api/user/<model>/` on NRP
 * answers anonymous callers with an empty list). A wrong or expired token is not refused by
 * Invenio, only treated as anonymous, so this is the one way to tell.
 *
 * Warns rather than fails: the alias is still useful for reading, and the warning says how to
 * replace the token.
 */
async function checkToken(
  ctx: CommandContext,
  client: NRPInvenioClient,
  alias: string,
  url: string,
): Promise<void> {
  const { APIError } = await loadClient();
  try {
    await client.requests.search({ size: 1, signal: ctx.signal });
  } catch (err) {
    if (!(err instanceof APIError)) throw err;
    const replace = `nrp add alias ${url} ${alias} --force`;
    if (err.status === 401 || err.status === 403) {
      ctx.output.warn(
        `token rejected: ${url} treats requests with this token as anonymous (HTTP ` +
          `${String(err.status)} on the signed-in user's request list). The alias is saved; ` +
          `create a new token and replace it with "${replace}".`,
      );
      return;
    }
    ctx.output.warn(
      `could not check the token (HTTP ${String(err.status)} on the signed-in user's request ` +
        `list); if later commands are refused, replace it with "${replace}".`,
    );
  }
}

/**
 * Whether a TLS handshake failed because the server answered in plain HTTP (OpenSSL's "wrong
 * version number" or "packet length too long" on the first bytes of an HTTP response).
 */
function isPlainHttpAnswer(err: { causeCode?: string | undefined; message: string }): boolean {
  const text = `${err.causeCode ?? ""} ${err.message}`;
  return /WRONG_VERSION_NUMBER|PACKET_LENGTH_TOO_LONG|wrong version number|packet length too long|HTTP_REQUEST/i.test(
    text,
  );
}

async function checkRepository(
  ctx: CommandContext,
  url: string,
  token: string | undefined,
  verify: boolean | string,
): Promise<NRPInvenioClient> {
  // A short retry budget: the user is waiting, and a typo should fail in seconds, not minutes.
  const { APIConnectionError } = await loadClient();
  const client = await ctx.clientFor({
    serverUrl: url,
    verify,
    retryCount: 1,
    retryInterval: 1,
    timeout: 30,
    ...(token === undefined ? {} : { token }),
  });
  const hint = "Nothing was saved. Check the URL, or pass --no-check to save the alias anyway.";
  try {
    const info = await client.info.repository({ signal: ctx.signal });
    const models = await client.info.models({ signal: ctx.signal });
    ctx.output.info(describeFound(info, models));
    return client;
  } catch (err) {
    if (isTlsFailure(err) && err instanceof APIConnectionError && isPlainHttpAnswer(err)) {
      const plain = `http://${url.slice("https://".length)}`;
      throw new CliError(`Could not reach ${url}: the server answered in plain HTTP, not TLS.`, {
        exitCode: ExitCode.network,
        code: err.code,
        hint: `If it is meant to be reached over plain http (a local test server), add it as ${plain}. Nothing was saved.`,
        cause: err,
      });
    }
    if (isTlsFailure(err) && err instanceof APIConnectionError) {
      const why = err.causeCode === undefined ? "" : ` (${err.causeCode})`;
      throw new CliError(`Could not reach ${url}: TLS certificate verification failed${why}.`, {
        exitCode: ExitCode.network,
        code: err.code,
        hint:
          typeof verify === "string"
            ? `The CA bundle ${verify} does not vouch for the server's certificate; check that ` +
              "it holds the CA that signed it. Nothing was saved."
            : "Pass --ca-bundle <file> to trust the server's CA, or --no-verify for a development " +
              "server. Nothing was saved.",
        cause: err,
      });
    }
    if (err instanceof APIConnectionError) {
      throw new CliError(`Could not reach ${url}: ${err.message}`, {
        exitCode: ExitCode.network,
        code: err.code,
        hint,
        cause: err,
      });
    }
    throw withHint(err, hint);
  }
}

/** `nrp add alias <url> [alias]`: checks a repository and saves it, with a token, under an alias. */
export default defineCommand({
  verb: "add",
  noun: "alias",
  summary: "Add a repository under an alias, with its access token",
  description:
    "Save a repository in the configuration file under an alias.\n\n" +
    "Without --token or --skip-token, nrp prints the repository's token page\n" +
    "(<url>/account/settings/applications/tokens/new), tries to open it in the browser and asks\n" +
    "for the token (hidden input). Before saving it checks that the repository answers and\n" +
    "shows what it found. The first alias added becomes the default.\n\n" +
    "A token for a plain http:// repository on another machine would travel in clear text: that\n" +
    "is refused unless --allow-insecure-http is given (and then warned about). http:// to this\n" +
    "machine (localhost, 127.0.0.0/8, ::1) is allowed.",
  arguments: [
    { name: "<url>", description: "the repository's address (https:// is assumed if missing)" },
    {
      name: "[alias]",
      description: "name to refer to it by (default: the host name's first label)",
    },
  ],
  options(cmd) {
    cmd
      .option("--default", "make it the default alias (the first alias always is)")
      .option("--token <token>", "personal access token to store (visible in shell history)")
      .option("--skip-token", "store no token: access the repository anonymously")
      .option(
        "--no-verify",
        "do not verify the server's TLS certificate (self-signed test servers)",
      )
      .option("--ca-bundle <file>", "verify TLS against this PEM CA bundle instead of system CAs")
      .option(
        "--allow-insecure-http",
        "store a token for a plain http:// repository on another machine (sent in clear text)",
      )
      .option("--force", "replace an existing alias of the same name")
      .option("--no-check", "save without checking that the repository answers");
  },
  examples: [
    {
      command: "nrp add alias https://repository.example.org",
      description: "ask for a token in the browser; the alias is 'repository'",
    },
    {
      command: "nrp add alias https://127.0.0.1:5000 local --skip-token --no-verify",
      description: "a local test server with a self-signed certificate, anonymous",
    },
    {
      command: 'nrp add alias https://zenodo.org zenodo --token "$ZENODO_TOKEN" --default',
      description: "a token from the environment; make it the default",
    },
  ],
  parse(args, opts): AddAliasInput {
    const token = optionalString(opts["token"], "--token");
    const skipToken = flag(opts["skipToken"]);
    if (token !== undefined && skipToken) {
      throw new UsageError("--token and --skip-token cannot be used together.");
    }
    const caBundle = optionalString(opts["caBundle"], "--ca-bundle");
    const verify = flag(opts["verify"], true);
    if (caBundle !== undefined && !verify) {
      throw new UsageError("--ca-bundle and --no-verify cannot be used together.");
    }
    const alias = optionalString(args[1], "[alias]");
    if (alias !== undefined && !ALIAS_PATTERN.test(alias)) {
      throw new UsageError(
        `"${alias}" is not a valid alias.`,
        "Use letters, digits, '.', '_', '-' and ':', starting with a letter or digit.",
      );
    }
    if (token === "") throw new UsageError("--token must not be empty.");
    return {
      url: normaliseUrl(requiredString(args[0], "<url>")),
      alias,
      makeDefault: flag(opts["default"]),
      token,
      skipToken,
      verify: caBundle ?? verify,
      force: flag(opts["force"]),
      check: flag(opts["check"], true),
      allowInsecureHttp: flag(opts["allowInsecureHttp"]),
    };
  },
  async run(ctx, input) {
    const alias = input.alias ?? defaultAlias(input.url);
    const config = await ctx.config();
    const existing = config.repositories.find((r) => r.alias === alias);
    if (existing && !input.force) {
      throw new UsageError(
        `The alias "${alias}" already exists in ${config.path} (${existing.serverUrl}).`,
        "Pass --force to replace it, or choose another alias.",
      );
    }
    checkCleartext(ctx, input);
    warnPath(ctx, input.url);
    const token = input.token ?? (input.skipToken ? undefined : await askForToken(ctx, input.url));
    if (input.check) {
      const client = await checkRepository(ctx, input.url, token, input.verify);
      if (token !== undefined) await checkToken(ctx, client, alias, input.url);
    }

    const repo: RepositoryConfig = { alias, serverUrl: input.url };
    if (token !== undefined) repo.token = token;
    if (input.verify !== true) repo.verify = input.verify;
    const makeDefault =
      input.makeDefault ||
      config.repositories.length === 0 ||
      config.defaultRepository === undefined ||
      config.defaultRepository === alias;
    config.addRepository(repo, { default: makeDefault, replace: input.force });
    await config.save();

    const where = makeDefault ? " as the default alias" : "";
    ctx.output.info(`Saved "${alias}" (${input.url})${where} in ${config.path}.`);
    ctx.output.result(aliasView(repo, config.defaultRepository));
  },
});
