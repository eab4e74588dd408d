/**
 * A real HTTP server on 127.0.0.1 (Bun.serve, port 0) that plays PostHog's flag evaluation API:
 * `POST /decide?v=3` answers `{ featureFlags: { name: value } }`, `POST /flags?v=2` answers
 * `{ flags: { name: { key, enabled, variant, reason, metadata } } }` (shapes from PostHog's API docs
 * and its SDKs' `FlagsResponse`/`FeatureFlagDetail` types).
 */

/** How the backend answers the next requests. */
export type Behaviour =
  | { kind: 'flags'; values: (distinctId: string) => Record<string, unknown>; errors?: boolean }
  | { kind: 'status'; status: number }
  | { kind: 'raw'; body: string }
  | { kind: 'hang' }

export interface Recorded {
  path: string
  search: string
  body: Record<string, unknown>
}

export interface FakeBackend {
  readonly url: string
  readonly requests: Recorded[]
  behaviour: Behaviour
  /** Answer `values` to everyone. */
  answer(values: Record<string, unknown>): void
  stop(): Promise<void>
}

export function startBackend(initial: Behaviour = { kind: 'flags', values: () => ({}) }): FakeBackend {
  const requests: Recorded[] = []
  const hung = new Set<() => void>()
  const state = { behaviour: initial }
  const server = Bun.serve({
    hostname: '127.0.0.1',
    port: 0,
    async fetch(req) {
      const url = new URL(req.url)
      const body = (await req.json().catch(() => ({}))) as Record<string, unknown>
      requests.push({ path: url.pathname, search: url.search, body })
      const b = state.behaviour
      if (req.method !== 'POST') return new Response('method', { status: 405 })
      const v2 = url.pathname === '/flags' && url.searchParams.get('v') === '2'
      const v3 = url.pathname === '/decide' && url.searchParams.get('v') === '3'
      if (!v2 && !v3) return new Response('not found', { status: 404 })
      if (typeof body.api_key !== 'string' && typeof body.token !== 'string')
        return Response.json({ type: 'authentication_error' }, { status: 401 })
      switch (b.kind) {
        case 'status':
          return new Response('internal error', { status: b.status })
        case 'raw':
          return new Response(b.body, { headers: { 'content-type': 'application/json' } })
        case 'hang':
          return new Promise<Response>((resolve) =>
            hung.add(() => resolve(new Response('late', { status: 503 }))),
          )
        case 'flags': {
          const values = b.values(String(body.distinct_id))
          const errorsWhileComputingFlags = b.errors ?? false
          if (v3)
            return Response.json({ featureFlags: values, featureFlagPayloads: {}, errorsWhileComputingFlags })
          const flags: Record<string, unknown> = {}
          let id = 1
          for (const [key, v] of Object.entries(values))
            flags[key] = {
              key,
              enabled: v,
              variant: null,
              reason: { code: 'condition_match', condition_index: 0, description: 'Matched condition set 1' },
              metadata: { id: id++, version: 1, description: null, payload: null },
            }
          return Response.json({ flags, errorsWhileComputingFlags, requestId: crypto.randomUUID() })
        }
      }
    },
  })
  return {
    url: `http://127.0.0.1:${server.port}`,
    requests,
    get behaviour() {
      return state.behaviour
    },
    set behaviour(b: Behaviour) {
      state.behaviour = b
    },
    answer(values) {
      state.behaviour = { kind: 'flags', values: () => values }
    },
    async stop() {
      for (const release of hung) release()
      hung.clear()
      await server.stop(true)
    },
  }
}
