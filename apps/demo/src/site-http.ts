/**
 * The site's HTTP servers: `bun site-http.ts NAME=ADDRESS ...` serves port 80 and 8080 on each
 * address (one family per address) and answers with the host's name, the family and address it
 * was reached on, and the peer it saw (the gateway's masquerade address). Run inside the site
 * namespace by the topology.
 */
const targets = process.argv.slice(2).map((a) => {
  const [name, address] = a.split('=')
  return { name, address }
})
for (const { name, address } of targets) {
  for (const port of [80, 8080]) {
    const family = address.includes(':') ? 'IPv6' : 'IPv4'
    Bun.serve({
      hostname: address,
      port,
      fetch(req, server) {
        const peer = server.requestIP(req)?.address ?? '?'
        return new Response(`${name} ${family} ${address} port ${port} peer ${peer}\n`)
      },
    })
  }
}
console.log(`serving ${targets.length} addresses`)
