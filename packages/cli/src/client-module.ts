import type * as ClientModule from "nrp-invenio-client";

/** The nrp-invenio-client module's exports (values and classes). */
export type ClientLibrary = typeof ClientModule;

let loaded: ClientLibrary | undefined;
let loading: Promise<ClientLibrary> | undefined;

/**
 * Imports nrp-invenio-client on first use and keeps it for {@link loadedClient}.
 *
 * Importing the library costs CPU time that `nrp --version`, `--help` and usage errors do not
 * need, so nothing imports it up front.
 */
export function loadClient(): Promise<ClientLibrary> {
  loading ??= import("nrp-invenio-client").then((lib) => {
    loaded = lib;
    return lib;
  });
  return loading;
}

/**
 * The library when it has been imported, else undefined.
 *
 * Lets synchronous code tell the library's errors apart: an error of the library can only exist
 * once the library has been imported through {@link loadClient}.
 */
export function loadedClient(): ClientLibrary | undefined {
  return loaded;
}
