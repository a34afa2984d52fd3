/**
 * The library's version, sent in the `User-Agent` header.
 *
 * Kept as a literal because `package.json` lies outside `rootDir`; a unit test checks that both agree.
 */
export const VERSION = "0.1.0";
