import { describe, expect, it } from "vitest";

import { defaultDownloadConcurrency } from "../src/download-concurrency.js";

describe("the default number of parallel ranges of a download", () => {
  it("is one stream from this machine", () => {
    for (const url of [
      "https://127.0.0.1:5000/api/x/files/a/content",
      "http://localhost:5000/a",
      "https://LOCALHOST/a",
      "http://127.10.0.2:80/a",
      "http://[::1]:5000/a",
    ]) {
      expect(defaultDownloadConcurrency(url), url).toBe(1);
    }
  });

  it("is four ranges from any other server", () => {
    for (const url of [
      "https://repository.example.org/api/records/x/files/a/content",
      "https://10.0.0.5/a",
      "https://127.0.0.1.example.org/a",
    ]) {
      expect(defaultDownloadConcurrency(url), url).toBe(4);
    }
  });

  it("is one stream when the file has no usable content link", () => {
    expect(defaultDownloadConcurrency(undefined)).toBe(1);
    expect(defaultDownloadConcurrency("not a url")).toBe(1);
  });
});
