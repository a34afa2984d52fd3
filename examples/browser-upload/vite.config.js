import { defineConfig } from "vite";

// Relative asset paths, so the built page works from any directory it is served from.
export default defineConfig({ base: "./", build: { target: "es2022" } });
