import { HttpError } from "../../http/errors.js";

/** A vocabulary term's title by language, as InvenioRDM dereferences it into records. */
type Title = Readonly<Record<string, string>>;

function title(en: string, cs: string, de: string, sv: string): Title {
  return { cs, de, en, sv };
}

/**
 * The ids of InvenioRDM 13's default `resourcetypes` vocabulary (invenio-rdm-records fixtures),
 * with their titles; a record names one as `metadata.resource_type.id`.
 */
const RESOURCE_TYPES: ReadonlyMap<string, Title> = new Map([
  ["publication", title("Publication", "Publikace", "Publikation", "Publikation")],
  ["publication-annotationcollection", { en: "Annotation collection" }],
  ["publication-book", { en: "Book" }],
  ["publication-section", { en: "Book chapter" }],
  ["publication-conferencepaper", { en: "Conference paper" }],
  ["publication-conferenceproceeding", { en: "Conference proceeding" }],
  ["publication-datamanagementplan", { en: "Output management plan" }],
  ["publication-journal", { en: "Journal" }],
  ["publication-article", { en: "Journal article" }],
  ["publication-patent", { en: "Patent" }],
  ["publication-peerreview", { en: "Peer review" }],
  ["publication-preprint", { en: "Preprint" }],
  ["publication-deliverable", { en: "Project deliverable" }],
  ["publication-milestone", { en: "Project milestone" }],
  ["publication-proposal", { en: "Proposal" }],
  ["publication-report", { en: "Report" }],
  ["publication-softwaredocumentation", { en: "Software documentation" }],
  ["publication-taxonomictreatment", { en: "Taxonomic treatment" }],
  ["publication-technicalnote", { en: "Technical note" }],
  ["publication-thesis", { en: "Thesis" }],
  ["publication-workingpaper", { en: "Working paper" }],
  ["publication-datapaper", { en: "Data paper" }],
  ["publication-dissertation", { en: "Dissertation" }],
  ["publication-standard", { en: "Standard" }],
  ["publication-other", { en: "Other" }],
  ["poster", title("Poster", "Poster", "Poster", "Poster")],
  ["presentation", title("Presentation", "Prezentace", "Präsentation", "Presentation")],
  ["event", title("Event", "Událost", "Veranstaltung", "Evenemang")],
  ["dataset", title("Dataset", "Datová sada", "Datensatz", "Dataset")],
  ["image", title("Image", "Obrázek", "Bild", "Bild")],
  ["image-figure", { en: "Figure" }],
  ["image-plot", { en: "Plot" }],
  ["image-drawing", { en: "Drawing" }],
  ["image-diagram", { en: "Diagram" }],
  ["image-photo", { en: "Photo" }],
  ["image-other", { en: "Other" }],
  ["model", title("Model", "Model", "Modell", "Modell")],
  ["video", title("Video", "Video", "Video", "Video")],
  ["audio", title("Audio", "Audio", "Audio", "Audio")],
  ["software", title("Software", "Software", "Software", "Mjukvara")],
  ["software-computationalnotebook", { en: "Computational notebook" }],
  ["lesson", title("Lesson", "Lekce", "Unterrichtseinheit", "Lektion")],
  ["other", title("Other", "Jiné", "Sonstige", "Övrig")],
  [
    "physicalobject",
    title("Physical object", "Fyzický objekt", "Physikalisches Objekt", "Fysiskt objekt"),
  ],
  ["workflow", title("Workflow", "Workflow", "Workflow", "Workflow")],
]);

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The English title of a resource type (search facet labels), or the id when unknown. */
export function resourceTypeLabel(id: string): string {
  return RESOURCE_TYPES.get(id)?.en ?? id;
}

/**
 * Refuses a resource type the vocabulary does not have, as InvenioRDM's `VocabularyRelation`
 * does on every load (even the lenient draft create): a hard 400 `Invalid value <id>.` without a
 * field (recorded `draft-create-bad-vocabulary-400`).
 * @throws HttpError 400
 */
export function checkVocabularies(metadata: Record<string, unknown>): void {
  const type = metadata.resource_type;
  if (!isObject(type) || typeof type.id !== "string") return;
  if (!RESOURCE_TYPES.has(type.id)) throw new HttpError(400, `Invalid value ${type.id}.`);
}

/**
 * Metadata as InvenioRDM dumps it: vocabulary references carry their term's `title`
 * (`metadata.resource_type: {id, title}`); what was stored keeps only the id.
 */
export function dereferenceVocabularies(
  metadata: Record<string, unknown>,
): Record<string, unknown> {
  const type = metadata.resource_type;
  if (!isObject(type) || typeof type.id !== "string") return metadata;
  const found = RESOURCE_TYPES.get(type.id);
  if (found === undefined) return metadata;
  return { ...metadata, resource_type: { id: type.id, title: { ...found } } };
}
