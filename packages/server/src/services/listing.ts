import { schemaId } from "../config/schema.js";
import type { RequestContext } from "../http/context.js";
import { HttpError } from "../http/errors.js";
import { QueryError } from "../store/query.js";
import type { FacetSource } from "../store/search.js";
import { resourceTypeLabel } from "./records/vocabularies.js";
import { dumpRecord, recordModels } from "./records/serialize.js";
import type { SearchParams } from "./search-params.js";
import type { ServiceContext } from "./service.js";

/** Which records a search collection lists. */
export interface ListingQuery {
  /** One model's records, or every model's (`/api/search/`, `/api/user/search/`). */
  model: string | undefined;
  /** The caller's own drafts and records instead of everyone's published records. */
  personal: boolean;
  params: SearchParams;
  /** A structured query (the JSON body of a POST to the global endpoints). */
  structured?: unknown;
}

/** One bucket of a facet; RDM's resource types nest (empty) sub-type buckets in `inner`. */
export interface Bucket {
  key: string;
  doc_count: number;
  label: string;
  is_selected: boolean;
  inner?: { buckets: Bucket[] };
}

/** One facet's buckets in Invenio's shape (docs/protocol/search.md#response). */
export interface Facet {
  buckets: Bucket[];
  label: string;
}

/** One page of hits, the total they were cut from and the facets computed before facet filters. */
export interface Listing {
  hits: Record<string, unknown>[];
  total: number;
  aggregations: Record<string, Facet>;
  /** The selected facet values, for the pagination links. */
  facets: [string, string][];
}

/** Keyword fields offered as facets when a model's metadata schema has them. */
const KEYWORD_FACETS = ["resource_type", "keywords", "language"] as const;

/** A facet a collection offers: where its values come from, its label and its buckets' labels. */
interface FacetSpec extends FacetSource {
  label: string;
  /** A bucket's label from its key. */
  bucketLabel: (key: string) => string;
  /** RDM nests sub-type buckets under each resource type. */
  nested?: boolean;
}

function keywordLabel(name: string): string {
  const words = name.replaceAll("_", " ");
  return words.charAt(0).toUpperCase() + words.slice(1);
}

const IS_PUBLISHED: FacetSpec = {
  name: "is_published",
  label: "Status",
  source: "is_published",
  field: "",
  bucketLabel: (key) => (key === "true" ? "Published" : "Unpublished"),
};

/**
 * The facets a collection offers. NRP: the models' keyword fields (`resource_type`, `keywords`,
 * `language` when the schema has them) and `is_published` on the caller's records. RDM 13
 * (recorded `search-records`, `search-user-records`): access status, file type and resource
 * type, with the status on the caller's records.
 */
function facetSpecs(
  app: ServiceContext,
  model: string | undefined,
  personal: boolean,
): FacetSpec[] {
  if (app.flavour === "rdm") {
    return [
      {
        name: "access_status",
        label: "Access status",
        source: "access_status",
        field: "",
        bucketLabel: (key) => (key === "open" ? "Open" : "Metadata-only"),
      },
      ...(personal ? [IS_PUBLISHED] : []),
      {
        name: "resource_type",
        label: "Resource types",
        source: "field",
        field: "resource_type.id",
        bucketLabel: resourceTypeLabel,
        nested: true,
      },
      {
        name: "file_type",
        label: "File type",
        source: "file_type",
        field: "",
        bucketLabel: (key) => key.toUpperCase(),
      },
    ];
  }
  const specs: FacetSpec[] = [];
  for (const m of app.config.models) {
    if (model !== undefined && m.type !== model) continue;
    for (const f of KEYWORD_FACETS) {
      if (m.schema.properties?.[f] !== undefined && !specs.some((x) => x.name === f)) {
        specs.push({
          name: f,
          label: keywordLabel(f),
          source: "field",
          field: f,
          bucketLabel: (key) => key,
        });
      }
    }
  }
  if (personal) specs.push(IS_PUBLISHED);
  return specs;
}

/** The facets' query parameters of a collection. */
export function facetNames(
  app: ServiceContext,
  model: string | undefined,
  personal: boolean,
): string[] {
  return facetSpecs(app, model, personal).map((f) => f.name);
}

/**
 * Searches the records for the search collections (see `RecordSearch`): published records
 * (anyone) or the caller's drafts and records (`/api/user/...`), filtered by `q` (query_string
 * syntax) or a structured query, with the collection's facets, serialized as hits.
 * @throws HttpError 400 for a query that cannot run
 */
export function listRecords(
  app: ServiceContext,
  ctx: RequestContext,
  query: ListingQuery,
): Listing {
  const specs = facetSpecs(app, query.model, query.personal);
  const facets = specs.map((spec) => ({
    source: spec,
    selected: ctx.query.getAll(spec.name).filter((v) => v !== ""),
  }));
  let result;
  try {
    result = app.search.search({
      model: query.model,
      personal: query.personal,
      userId: ctx.user?.id,
      q: query.params.q,
      structured: query.structured,
      plainTextFallback: app.traits.unparseableQuery === "plain-text",
      schemas: new Map(recordModels(app).map((m) => [schemaId(m), m.type])),
      facets,
      page: query.params.page,
      size: query.params.size,
      sort: query.params.sort,
    });
  } catch (error) {
    if (error instanceof QueryError) throw new HttpError(400, error.message);
    throw error;
  }
  const selected = facets.flatMap(({ source, selected }) =>
    selected.map((v): [string, string] => [source.name, v]),
  );
  const aggregations: Record<string, Facet> = {};
  for (const { source: spec, selected: values } of facets) {
    const chosen = new Set(values);
    aggregations[spec.name] = {
      buckets: (result.buckets.get(spec.name) ?? []).map((r) => ({
        key: r.bucket,
        doc_count: r.n,
        label: spec.bucketLabel(r.bucket),
        is_selected: chosen.has(r.bucket),
        ...(spec.nested === true ? { inner: { buckets: [] } } : {}),
      })),
      label: spec.label,
    };
  }
  const models = recordModels(app);
  const hits: Record<string, unknown>[] = [];
  for (const { kind, item, parent } of result.rows) {
    const model = models.find((m) => m.type === item.model);
    if (model === undefined || parent === undefined) continue;
    hits.push(
      dumpRecord(
        { app, model, origin: ctx.origin, user: ctx.user },
        { kind, item, parent },
        { hit: true },
      ),
    );
  }
  return { hits, total: result.total, aggregations, facets: selected };
}
