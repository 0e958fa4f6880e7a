import { defineConfig, devices } from '@playwright/test'

/**
 * Two projects:
 * - smoke: the built dist/ served like Django serves it (e2e/static-server.mjs),
 *   with the API and WebSocket mocked inside the browser. Needs only `npm run build`.
 * - stack: the real running stack at E2E_BASE_URL (started by the backend's
 *   harness), logging in with E2E_USERNAME / E2E_PASSWORD. Skipped without it.
 *
 * Browsers cannot be downloaded here, so Playwright drives Debian's Chromium
 * (apt-get install chromium), or CHROMIUM_PATH.
 */
const smokePort = Number(process.env.E2E_SMOKE_PORT ?? 4178)
const executablePath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'

export default defineConfig({
  testDir: './e2e',
  outputDir: './test-results',
  timeout: 90_000,
  expect: { timeout: 15_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  reporter: [['list']],
  use: {
    ...devices['Desktop Chrome'],
    headless: true,
    viewport: { width: 1280, height: 900 },
    screenshot: 'only-on-failure',
    trace: 'retain-on-failure',
    launchOptions: {
      executablePath,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    },
  },
  projects: [
    {
      name: 'smoke',
      testDir: './e2e/smoke',
      use: { baseURL: `http://127.0.0.1:${smokePort}` },
    },
    {
      name: 'stack',
      testDir: './e2e/stack',
      use: { baseURL: process.env.E2E_BASE_URL },
    },
  ],
  webServer: {
    command: `node e2e/static-server.mjs ${smokePort}`,
    url: `http://127.0.0.1:${smokePort}/healthz`,
    reuseExistingServer: !process.env.CI,
    timeout: 20_000,
  },
})
