/**
 * A PostHog-compatible feature-flag backend for the demo (`bun flag-backend.ts PORT FILE`):
 * `POST /decide?v=3` (and `/flags?v=2`) with an `api_key` answer
 * `{"featureFlags": {"icmp-unreachable-instead-of-nat64": <FILE says true>}}`. The file is read
 * on every request, so a scenario flips the flag by writing it. Loopback only.
 */
import { readFileSync } from 'node:fs'

const [portText, file] = process.argv.slice(2)
const FLAG = 'icmp-unreachable-instead-of-nat64'

Bun.serve({
  hostname: '127.0.0.1',
  port: Number(portText),
  async fetch(req) {
    const url = new URL(req.url)
    if (req.method !== 'POST' || (url.pathname !== '/decide' && url.pathname !== '/flags'))
      return new Response('not found\n', { status: 404 })
    const body = (await req.json().catch(() => null)) as { api_key?: string; token?: string } | null
    if (!body?.api_key && !body?.token) return Response.json({ detail: 'no api key' }, { status: 401 })
    let on = false
    try {
      on = readFileSync(file, 'utf8').trim() === 'true'
    } catch {
      // no file: off
    }
    if (url.pathname === '/flags')
      return Response.json({
        flags: { [FLAG]: { key: FLAG, enabled: on } },
        errorsWhileComputingFlags: false,
      })
    return Response.json({ featureFlags: { [FLAG]: on }, errorsWhileComputingFlags: false })
  },
})
