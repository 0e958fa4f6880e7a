// Serves web/dist the way Django does in production, for the smoke specs:
// assets under /static/dashboard/, index.html for every other non-API path,
// and 404 JSON for /api/ (the smoke specs mock the API in the browser).
// Binds to 127.0.0.1 only. Usage: node e2e/static-server.mjs [port]
import { createReadStream, existsSync, statSync } from 'node:fs'
import { createServer } from 'node:http'
import { extname, join, normalize, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const dist = resolve(fileURLToPath(new URL('../dist', import.meta.url)))
const port = Number(process.argv[2] ?? process.env.E2E_SMOKE_PORT ?? 4178)
const index = join(dist, 'index.html')
if (!existsSync(index)) {
  console.error(`No build at ${dist}: run "npm run build" first.`)
  process.exit(1)
}

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.map': 'application/json',
}

function send(res, status, file) {
  res.writeHead(status, { 'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream' })
  createReadStream(file).pipe(res)
}

createServer((req, res) => {
  const path = decodeURIComponent(new URL(req.url ?? '/', 'http://localhost').pathname)
  if (path === '/healthz') {
    res.writeHead(200, { 'Content-Type': 'application/json' })
    res.end('{"status":"ok"}')
  } else if (path.startsWith('/api/') || path.startsWith('/ws/')) {
    res.writeHead(404, { 'Content-Type': 'application/json' })
    res.end('{"detail":"Not found."}')
  } else if (path.startsWith('/static/dashboard/')) {
    const file = normalize(join(dist, path.slice('/static/dashboard/'.length)))
    if (file.startsWith(dist) && existsSync(file) && statSync(file).isFile()) send(res, 200, file)
    else {
      res.writeHead(404, { 'Content-Type': 'text/plain' })
      res.end('Not found')
    }
  } else {
    send(res, 200, index)
  }
}).listen(port, '127.0.0.1', () => console.log(`dashboard dist on http://127.0.0.1:${port}/`))
