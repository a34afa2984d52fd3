/* global document, localStorage */
// Deposit dropped files into a new draft: one upload per file with its own progress bar, the md5
// the library verified against the repository's checksum, then publish. Uses only the public API
// of nrp-invenio-client, whose `browser` export condition gives Vite the browser entry.

import { NRPInvenioClient } from "nrp-invenio-client";

const $ = (id) => document.getElementById(id);
const form = { server: $("server"), token: $("token"), model: $("model"), title: $("title") };
const drop = $("drop");
const list = $("list");
const publishButton = $("publish");
const status = $("status");

// The address is remembered; the token is never stored or logged.
form.server.value = localStorage.getItem("nrp-example-server") ?? form.server.value;

let client;
let draft;
let pending = 0;

function setStatus(text, kind = "") {
  status.textContent = text;
  status.className = kind;
}

async function ensureDraft() {
  if (draft !== undefined) return draft;
  if (!$("repository").reportValidity()) throw new Error("Fill in the repository and token first.");
  localStorage.setItem("nrp-example-server", form.server.value);
  client = new NRPInvenioClient({ serverUrl: form.server.value, token: form.token.value });
  draft = client.records
    .create(form.model.value, { title: form.title.value })
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

async function upload(file) {
  const { li, bar, state } = row(file);
  pending++;
  publishButton.disabled = true;
  try {
    const { files } = await ensureDraft();
    state.textContent = "uploading";
    const uploaded = await files.create(file.name, {}, file, {
      onProgress: (p) => {
        bar.value = p.transferredBytes;
      },
    });
    bar.value = bar.max;
    // files.create compared its own md5 of the bytes with the repository's checksum.
    state.textContent = `checksum verified: ${uploaded.checksum}`;
    state.classList.add("ok");
    li.dataset.done = "true";
  } catch (error) {
    state.textContent = error instanceof Error ? error.message : String(error);
    state.classList.add("error");
  } finally {
    pending--;
    publishButton.disabled = pending > 0 || draft === undefined;
  }
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
    draft = undefined;
  } catch (error) {
    setStatus(error instanceof Error ? error.message : String(error), "error");
    publishButton.disabled = false;
  }
});
