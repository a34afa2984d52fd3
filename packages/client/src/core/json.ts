// The shape of the JSON objects the repository sends and receives.

/**
 * A JSON object as the repository sends it: record metadata, links, request payloads.
 *
 * Invenio models differ per repository, so bodies are typed as open objects and read with
 * narrowing rather than a fixed schema.
 */
export type Json = Record<string, unknown>;
