// Stands in for Node modules the browser build cannot have (files on disk, worker threads, the
// home directory). Importing is fine; calling any of these says what is missing.

function missing(name) {
  return () => {
    throw new Error(
      `${name} is not available in the browser build of nrp-invenio-client: pass a Blob, File or bytes instead of a path, and options instead of a configuration file.`,
    );
  };
}

export const readFileSync = missing("readFileSync");
export const createReadStream = missing("createReadStream");
export const existsSync = () => false;
export const read = missing("fs.read");
export const stat = missing("stat");
export const open = missing("open");
export const mkdir = missing("mkdir");
export const readFile = missing("readFile");
export const rename = missing("rename");
export const rm = missing("rm");
export const writeFile = missing("writeFile");
export const chmod = missing("chmod");
export const homedir = missing("homedir");
export const createRequire = missing("createRequire");
export const fileURLToPath = missing("fileURLToPath");
export const Worker = missing("Worker");
export const isMainThread = true;
export const parentPort = null;
export const workerData = undefined;
export default {};
