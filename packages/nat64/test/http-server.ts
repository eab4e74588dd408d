/** A static file server for the kernel test: `bun http-server.ts ADDR PORT DIR`; prints "ready". */
import { join } from 'node:path'

const [hostname, port, dir] = process.argv.slice(2)
Bun.serve({
  hostname,
  port: Number(port),
  fetch(req) {
    return new Response(Bun.file(join(dir, new URL(req.url).pathname.replace(/\.\./g, ''))))
  },
})
process.stdout.write('ready\n')
