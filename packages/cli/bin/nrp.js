#!/usr/bin/env node
// The installed `nrp` command. It lives outside dist/ so that npm can link it at install time,
// before a workspace build has written dist/. It loads the bundled CLI (scripts/bundle.mjs).
import "../dist/bundle/nrp.js";
