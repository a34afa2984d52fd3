// Values of a request's query string.

/**
 * One query-string parameter's value: arrays repeat the key, `undefined` leaves it out.
 *
 * Search parameters are passed through to the repository, so facet filters such as
 * `{ "metadata.languages": ["cs", "en"] }` need the repeated-key form.
 */
export type QueryValue = string | number | boolean | undefined | readonly (string | number)[];
