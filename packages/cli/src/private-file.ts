import { randomBytes } from "node:crypto";
import { chmod, mkdir, rename, rm, writeFile } from "node:fs/promises";
import { basename, dirname, join } from "node:path";

/**
 * Writes `text` to `path` atomically (a temporary file in the same directory, then a rename) with
 * mode 0600, creating the directory with mode 0700.
 *
 * The CLI's own files (variables, upload journals) name private drafts; a reader never sees half a
 * file, and other local users never see it at all.
 */
export async function writePrivateFile(path: string, text: string): Promise<void> {
  const dir = dirname(path);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const tmp = join(dir, `.${basename(path)}.${randomBytes(6).toString("hex")}.tmp`);
  try {
    await writeFile(tmp, text, { mode: 0o600, flag: "wx" });
    // The mode given to open() is masked by the umask; make it exact.
    await chmod(tmp, 0o600);
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}
