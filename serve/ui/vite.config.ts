import { defineConfig } from "vite";

// Served by the API at /ui (serve/app.py mounts serve/ui/static there); nothing is fetched from a CDN.
export default defineConfig({
  base: "/ui/",
  build: { outDir: "static", emptyOutDir: true, assetsDir: "assets", sourcemap: false, chunkSizeWarningLimit: 300 },
  server: { proxy: { "^/(?!ui).*": "http://127.0.0.1:8000" } },
});
