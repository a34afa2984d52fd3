// `node:util` for the browser build: only `inspect` and its `custom` symbol are used.

export function inspect(value) {
  try {
    return JSON.stringify(value);
  } catch {
    return String(value);
  }
}
inspect.custom = Symbol.for("nodejs.util.inspect.custom");
