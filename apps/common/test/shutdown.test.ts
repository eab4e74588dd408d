import { expect, test } from 'bun:test'
import { Shutdown } from '../src/index.ts'

test('cleanup steps run once, newest first, and a failing step does not stop the rest', async () => {
  const ran: string[] = []
  const errors: string[] = []
  const s = new Shutdown((step) => errors.push(step))
  s.add('tun', () => {
    ran.push('tun')
  })
  s.add('resolv.conf', () => {
    throw new Error('read-only')
  })
  s.add('routes', async () => {
    ran.push('routes')
  })
  await s.run()
  await s.run()
  expect(ran).toEqual(['routes', 'tun'])
  expect(errors).toEqual(['resolv.conf'])
})
