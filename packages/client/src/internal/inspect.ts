// Node's custom-inspection hook without importing `node:util`, which the browser entry must not
// carry: the hook is a registered symbol, and Node passes its own `inspect` to the hook.

import type { inspect } from "node:util";

/** `util.inspect.custom` (`Symbol.for("nodejs.util.inspect.custom")`), typed as Node's. */
export const INSPECT = Symbol.for("nodejs.util.inspect.custom") as typeof inspect.custom;

/** The `inspect` Node hands to a custom inspector as its third argument. */
export type Inspect = (value: unknown, options?: object) => string;
