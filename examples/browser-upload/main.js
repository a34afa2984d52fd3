/* global document, localStorage */
// Deposit dropped files into a new draft: one upload per file with its own progress bar, the md5
// the library verified against the repository's checksum, then publish. Uses only the public API
// of nrp-invenio-client, whose `browser` export condition gives Vite the browser entry.
//
// Files larger than one part go up in parts. The library's resume state of each of them is kept
// in localStorage while it runs, so after a reload (or a closed tab) the page offers to continue:
// the same file picked again sends only the parts the repository has not acknowledged.

import { NRPInvenioClient } from "nrp-invenio-client";

const $ = (id) => document.getElementById(id);
const form = {
  server: $("server"),
  token: $("token"),
  model: $("model"),
  title: $("title"),
  partSize: $("part-size"),
};
const drop = $("drop");
const list = $("list");
const publishButton = $("publish");
const status = $("status");
const MiB = 1024 * 1024;

// The address is remembered; the token is never stored or logged.
form.server.value = localStorage.getItem("nrp-example-server") ?? form.server.value;

let client;
let draft;
let pending = 0;
// Uploads running now, by draft and key: their state is saved as they go, but not offered.
const running = new Set();

function setStatus(text, kind = "") {
  status.textContent = text;
  status.className = kind;
}

// Interrupted uploads, by draft and key: where they go, which file, and the library's state.
const INTERRUPTED = "nrp-example-interrupted";

function interrupted() {
  try {
    return JSON.parse(localStorage.getItem(INTERRUPTED) ?? "{}");
  } catch {
    return {};
  }
}

function remember(entry) {
  const all = interrupted();
  all[`${entry.recordId}/${entry.key}`] = entry;
  localStorage.setItem(INTERRUPTED, JSON.stringify(all));
}

function forget(entry) {
  const id = `${entry.recordId}/${entry.key}`;
  const rest = Object.entries(interrupted()).filter(([key]) => key !== id);
  localStorage.setItem(INTERRUPTED, JSON.stringify(Object.fromEntries(rest)));
}

function connect() {
  if (client !== undefined) return client;
  if (!$("repository").reportValidity()) throw new Error("Fill in the repository and token first.");
  localStorage.setItem("nrp-example-server", form.server.value);
  client = new NRPInvenioClient({ serverUrl: form.server.value, token: form.token.value });
  return client;
}

async function ensureDraft() {
  if (draft !== undefined) return draft;
  const c = connect();
  draft = c.records
    .create(form.model.value, { title: form.title.value })
    .then(async (record) => ({ record, files: await record.loadFiles() }));
  draft.then(
    ({ record }) => setStatus(`Draft ${record.id}`),
    () => (draft = undefined),
  );
  return draft;
}

/** Continues in the draft of an interrupted upload (the page holds one draft at a time). */
async function openDraft(entry) {
  const c = connect();
  const current = draft === undefined ? undefined : await draft.catch(() => undefined);
  if (current !== undefined && current.record.id === entry.recordId) return current;
  if (current !== undefined) throw new Error("Publish the current draft before resuming another.");
  draft = c.records
    .getById(entry.model, entry.recordId, { draft: true })
    .then(async (record) => ({ record, files: await record.loadFiles() }));
  draft.then(
    ({ record }) => setStatus(`Draft ${record.id}`),
    () => (draft = undefined),
  );
  return draft;
}

function row(file) {
  const li = document.createElement("li");
  const name = document.createElement("span");
  name.textContent = `${file.name} (${file.size} bytes)`;
  const bar = document.createElement("progress");
  bar.max = Math.max(file.size, 1);
  bar.value = 0;
  const state = document.createElement("span");
  state.className = "state";
  state.textContent = "waiting";
  li.dataset.key = file.name;
  li.append(name, bar, state);
  list.append(li);
  return { li, bar, state };
}

async function upload(file, resume) {
  const { li, bar, state } = row(file);
  pending++;
  publishButton.disabled = true;
  let id;
  try {
    const { record, files } = resume ? await openDraft(resume) : await ensureDraft();
    const partSize = Math.max(1, Number(form.partSize.value)) * MiB;
    const { transfers } = await client.info.repository();
    const inParts = resume !== undefined || (transfers.includes("M") && file.size > partSize);
    const entry = resume ?? {
      server: form.server.value,
      model: form.model.value,
      recordId: record.id,
      key: file.name,
      name: file.name,
      size: file.size,
    };
    id = `${entry.recordId}/${entry.key}`;
    running.add(id);
    state.textContent = resume
      ? `resuming: ${resume.state.completedParts.length} part(s) already sent`
      : "uploading";
    const uploaded = await files.create(file.name, file, {
      transfer: inParts ? "M" : "L",
      // A resume sends parts of the size its state names.
      ...(resume ? { resume: resume.state } : { partSize }),
      // An interrupted upload stays on the server, to be resumed from this page.
      keepPendingOnFailure: inParts,
      onResumeState: (resumeState) => remember({ ...entry, state: resumeState }),
      onProgress: (p) => {
        bar.value = p.transferredBytes;
      },
    });
    forget(entry);
    bar.value = bar.max;
    // files.create compared its own md5 of the bytes with the repository's checksum.
    state.textContent = `checksum verified: ${uploaded.checksum}`;
    state.classList.add("ok");
    li.dataset.done = "true";
  } catch (error) {
    state.textContent = error instanceof Error ? error.message : String(error);
    state.classList.add("error");
  } finally {
    if (id !== undefined) running.delete(id);
    pending--;
    publishButton.disabled = pending > 0 || draft === undefined;
    showInterrupted();
  }
}

/** Offers each interrupted upload kept in localStorage, with a picker for the same file. */
function showInterrupted() {
  const entries = Object.values(interrupted()).filter(
    (e) => !running.has(`${e.recordId}/${e.key}`),
  );
  const ul = $("interrupted");
  ul.replaceChildren();
  for (const entry of entries) {
    const li = document.createElement("li");
    li.dataset.key = entry.key;
    const text = document.createElement("span");
    const parts = Math.ceil(entry.size / entry.state.partSize);
    text.textContent = `${entry.name} (${entry.size} bytes) in draft ${entry.recordId}: ${entry.state.completedParts.length} of ${parts} parts sent. `;
    const pick = document.createElement("input");
    pick.type = "file";
    pick.className = "resume-file";
    pick.addEventListener("change", () => {
      const file = pick.files?.[0];
      if (file === undefined) return;
      if (file.name !== entry.name || file.size !== entry.size) {
        text.textContent = `${entry.name} (${entry.size} bytes) was interrupted, not ${file.name} (${file.size} bytes): pick that file. `;
        return;
      }
      if (!form.server.value) form.server.value = entry.server;
      li.remove();
      void upload(file, entry);
    });
    const drop = document.createElement("button");
    drop.type = "button";
    drop.textContent = "Forget";
    drop.addEventListener("click", () => {
      forget(entry);
      showInterrupted();
    });
    li.append(text, pick, drop);
    ul.append(li);
  }
  $("resume").hidden = entries.length === 0;
}

function accept(fileList) {
  for (const file of fileList) void upload(file);
}

drop.addEventListener("dragover", (event) => {
  event.preventDefault();
  drop.classList.add("over");
});
drop.addEventListener("dragleave", () => drop.classList.remove("over"));
drop.addEventListener("drop", (event) => {
  event.preventDefault();
  drop.classList.remove("over");
  accept(event.dataTransfer?.files ?? []);
});
$("files").addEventListener("change", (event) => accept(event.target.files ?? []));

publishButton.addEventListener("click", async () => {
  publishButton.disabled = true;
  try {
    const { record } = await ensureDraft();
    const published = await record.publish();
    setStatus(`Published ${published.id}`, "ok");
    await client.close();
    client = undefined;
    draft = undefined;
  } catch (error) {
    setStatus(error instanceof Error ? error.message : String(error), "error");
    publishButton.disabled = false;
  }
});

showInterrupted();
