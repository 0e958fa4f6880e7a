/// <reference types="vitest/config" />
import { defineConfig } from 'vite'
import vue from '@vitejs/plugin-vue'
import { fileURLToPath, URL } from 'node:url'

// Django serves the production build as static files under /static/dashboard/
// and answers every non-API path with dist/index.html, so only the asset base
// changes between build and dev; the router always uses '/' (see src/router.ts).
const apiUrl = process.env.API_URL ?? 'http://127.0.0.1:8000'

export default defineConfig(({ command, isPreview }) => ({
  base: command === 'build' || isPreview ? '/static/dashboard/' : '/',
  plugins: [vue()],
  resolve: {
    alias: { '@': fileURLToPath(new URL('./src', import.meta.url)) },
  },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
  },
  server: {
    host: '127.0.0.1',
    port: 5173,
    strictPort: true,
    proxy: {
      '/api': { target: apiUrl },
      '/ws': { target: apiUrl, ws: true },
      '/admin': { target: apiUrl },
      '/static': { target: apiUrl },
      '/healthz': { target: apiUrl },
    },
  },
  preview: {
    host: '127.0.0.1',
    port: 4173,
  },
  test: {
    environment: 'happy-dom',
    include: ['src/**/*.spec.ts'],
    setupFiles: ['src/test-setup.ts'],
    restoreMocks: true,
  },
}))
