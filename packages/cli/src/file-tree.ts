import { lstat, readdir, realpath, stat } from "node:fs/promises";
import { basename, join, relative, sep } from "node:path";

import { globToRegExp } from "./file-select.js";

/** One local file to upload and the key it gets in the record. */
export interface TreeEntry {
  /** The local path, as given or joined below a given directory. */
  path: string;
  /** The key: the file name for a file given by name, the `/`-separated path below a directory. */
  key: string;
}

/** A path given on the command line that yields no file, and why. */
export interface TreeProblem {
  /** The path as given. */
  path: string;
  /** The key it would have had (its name), for the result table. */
  key: string;
  /** Why nothing was taken from it. */
  reason: string;
}

/** Something left out of a directory on purpose, said once on stderr. */
export interface TreeSkip {
  /** The path below the directory, `/`-separated. */
  key: string;
  /** Why it was left out. */
  reason: string;
}

/** The files found under the command line's paths. */
export interface TreeListing {
  entries: TreeEntry[];
  problems: TreeProblem[];
  skipped: TreeSkip[];
}

/**
 * Compiles `--exclude` patterns to one test over a `/`-separated path below a directory.
 *
 * A pattern without `/` matches a file or directory name at any depth (`*.tmp`, `__pycache__`);
 * one with `/` matches the whole path from the directory given (`raw/*.bin`, `**\/cache`), as in
 * `.gitignore`. An excluded directory is not entered.
 */
export function excludeMatcher(patterns: readonly string[]): (path: string) => boolean {
  const tests = patterns.map((pattern) => {
    const p = pattern.replace(/^\.\//, "").replace(/\/+$/, "");
    const re = globToRegExp(p);
    return p.includes("/")
      ? (path: string) => re.test(path)
      : (path: string) => re.test(path.slice(path.lastIndexOf("/") + 1));
  });
  return (path) => tests.some((t) => t(path));
}

/** Whether `child` (a real path) is `root` or lies below it. */
function inside(root: string, child: string): boolean {
  const rel = relative(root, child);
  return rel === "" || (!rel.startsWith(`..${sep}`) && rel !== ".." && !rel.startsWith(sep));
}

/**
 * Lists the files to upload for the command line's paths.
 *
 * A file is taken under its name. A directory is walked: each file below it gets its path relative
 * to the directory as key, with `/` between segments, so `nrp download file @r '**' -o DIR` puts
 * the same tree back. Walking skips hidden files and directories (names starting with `.`: version
 * control, editor and partial-download files) and what `exclude` matches; a hidden file named on
 * the command line is taken. Symbolic links inside a directory are followed only when they
 * resolve to a place inside that same directory (and each directory is entered once, so a link
 * loop ends); links leading out of it are skipped and listed, so a link never uploads what the
 * user did not point at. Sockets, pipes and devices are skipped.
 */
export async function listUploadTree(
  paths: readonly string[],
  exclude: (path: string) => boolean,
): Promise<TreeListing> {
  const listing: TreeListing = { entries: [], problems: [], skipped: [] };
  for (const path of paths) {
    let info;
    try {
      info = await stat(path);
    } catch {
      // The upload itself reports an unreadable file with the usual words.
      listing.entries.push({ path, key: basename(path) });
      continue;
    }
    if (!info.isDirectory()) {
      listing.entries.push({ path, key: basename(path) });
      continue;
    }
    const before = listing.entries.length;
    const root = await realpath(path);
    await walk(path, root, "", new Set([root]), exclude, listing);
    if (listing.entries.length === before) {
      listing.problems.push({
        path,
        key: basename(root),
        reason: `${path} is a directory without files to upload (hidden files and --exclude matches are skipped).`,
      });
    }
  }
  return listing;
}

async function walk(
  dir: string,
  root: string,
  prefix: string,
  visited: Set<string>,
  exclude: (path: string) => boolean,
  listing: TreeListing,
): Promise<void> {
  const names = (await readdir(dir)).sort();
  for (const name of names) {
    if (name.startsWith(".")) continue;
    const key = prefix === "" ? name : `${prefix}/${name}`;
    if (exclude(key)) continue;
    const path = join(dir, name);
    const link = await lstat(path);
    let isDir = link.isDirectory();
    let isFile = link.isFile();
    if (link.isSymbolicLink()) {
      let target: string;
      try {
        target = await realpath(path);
      } catch {
        listing.skipped.push({ key, reason: "a broken symbolic link" });
        continue;
      }
      if (!inside(root, target)) {
        listing.skipped.push({ key, reason: "a symbolic link to outside the directory" });
        continue;
      }
      const info = await stat(target);
      isDir = info.isDirectory();
      isFile = info.isFile();
    }
    if (isDir) {
      const real = await realpath(path);
      if (visited.has(real)) {
        listing.skipped.push({ key, reason: "a directory already uploaded (a link loop)" });
        continue;
      }
      visited.add(real);
      await walk(path, root, key, visited, exclude, listing);
    } else if (isFile) {
      listing.entries.push({ path, key });
    } else {
      listing.skipped.push({ key, reason: "not a regular file" });
    }
  }
}
