// One stock, unmodified y-websocket client (yjs + WebsocketProvider over `ws`), driven by
// tests/test_interop.py through JSON lines: commands on stdin, one reply per command on stdout.
//
//   node client.mjs --server ws://127.0.0.1:PORT/ws/charters --room lampedusa [--timeout 60] [--token T]
//
// The first line written is {"event":"synced","clientId":N} once the provider has synced. Commands
// (each answered by one line; every reply also carries `closes`, `errors` and `logged`, which
// stay empty while the server keeps the connection open, accepts every update and sends nothing
// the provider cannot read):
//   {"cmd":"edit","clause":ID,"ops":N,"seed":S,"tokenBase":B,"maxDelayMs":10}
//       N random edits of the clause body: insert 1-3 fresh single-character tokens (code points
//       B, B+1, ...; private-use area) at a random place, or delete one of this client's own
//       tokens still present. Replies {"event":"edited","survivors":"...","inserted","deleted",
//       "opsSeeingOthers"}: `survivors` are this client's tokens that the final text must hold;
//       `opsSeeingOthers` counts the edits made while other clients' tokens were in the text.
//   {"cmd":"settle","clause":ID,"tokens":"...","quietMs":300}
//       Waits until the body's private-use characters are exactly `tokens` (as a set) and nothing
//       changed for quietMs; replies {"event":"settled","text":BODY}.
//   {"cmd":"insert","clause":ID,"index":I,"text":T}   (I = -1: at the end) -> {"event":"inserted"}
//   {"cmd":"waitText","clause":ID,"contains":T}       -> {"event":"text","text":BODY}
//   {"cmd":"setUser","name":NAME}                      -> {"event":"userSet"} (awareness "user")
//   {"cmd":"waitPresence","name":NAME}                 -> {"event":"presence","states":[[id,state]]}
//       Waits until provider.awareness.getStates() holds another client whose user.name is NAME.
//   {"cmd":"close"} -> {"event":"closed"}, then the provider is destroyed and the process exits 0.
// Any wait past the deadline (--timeout seconds from start) writes {"event":"error",...} and
// exits 2; a command that fails exits 1.

import { parseArgs } from 'node:util'
import { createInterface } from 'node:readline'
import WebSocket from 'ws'
import * as Y from 'yjs'
import { WebsocketProvider } from 'y-websocket'

const { values: args } = parseArgs({
  options: {
    server: { type: 'string' },
    room: { type: 'string', default: 'lampedusa' },
    timeout: { type: 'string', default: '60' },
    token: { type: 'string' }
  }
})
if (!args.server) {
  process.stderr.write('usage: node client.mjs --server ws://HOST:PORT/ws/charters --room SLUG\n')
  process.exit(1)
}

const deadline = Date.now() + Number(args.timeout) * 1000
const TOKENS_FIRST = 0xe000
const TOKENS_LAST = 0xf8ff

// What went wrong beyond document sync: a closed connection (the provider reconnects on its own,
// which would hide the cause), a socket error, or anything the provider logged: a refused update
// ("Permission denied ..." through console.warn) or a message it could not read ("Unable to
// compute message" through console.error).
const closes = []
const errors = []
const logged = []
for (const level of ['warn', 'error']) {
  const write = console[level]
  console[level] = (...parts) => {
    logged.push(parts.map(String).join(' '))
    write(...parts)
  }
}

const doc = new Y.Doc()
const params = args.token ? { token: args.token } : {}
const provider = new WebsocketProvider(args.server, args.room, doc, { WebSocketPolyfill: WebSocket, params })
provider.on('connection-close', (event) => {
  closes.push(event ? { code: event.code, reason: String(event.reason) } : { code: null, reason: 'closed locally' })
})
provider.on('connection-error', (event) => {
  errors.push(String(event?.message ?? event?.error ?? event?.type ?? event))
})

let lastChange = Date.now()
doc.on('update', () => { lastChange = Date.now() })

function fail (code, message) {
  process.stderr.write(`client.mjs: ${message}\n`)
  process.stdout.write(JSON.stringify({ event: 'error', message }) + '\n', () => process.exit(code))
}

function reply (event, fields = {}) {
  process.stdout.write(JSON.stringify({ event, ...fields, closes, errors, logged }) + '\n')
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

/** Polls `check` until it returns a truthy value; past the deadline, fails with `describe()`. */
async function waitFor (check, describe) {
  for (;;) {
    const value = check()
    if (value) return value
    if (Date.now() > deadline) {
      fail(2, `timed out after ${args.timeout} s waiting for ${describe()} (connected: ${provider.wsconnected}, synced: ${provider.synced}, closes: ${JSON.stringify(closes)}, logged: ${JSON.stringify(logged)})`)
      return new Promise(() => {})
    }
    await sleep(10)
  }
}

/** A small seeded PRNG (mulberry32): the same seed gives the same edits. */
function mulberry32 (seed) {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

function body (clause) {
  const fields = doc.getMap('clauses').get(clause)
  const text = fields instanceof Y.Map ? fields.get('body') : undefined
  if (!(text instanceof Y.Text)) throw new Error(`no clause '${clause}' with a body in the document`)
  return text
}

const tokensOf = (string) =>
  new Set([...string].filter((c) => c.codePointAt(0) >= TOKENS_FIRST && c.codePointAt(0) <= TOKENS_LAST))

async function edit ({ clause, ops, seed, tokenBase, maxDelayMs = 10 }) {
  const text = body(clause)
  if (tokenBase < TOKENS_FIRST || tokenBase + 3 * ops > TOKENS_LAST + 1) throw new Error('token range outside the private-use area')
  const random = mulberry32(seed)
  const live = []
  let next = tokenBase
  let inserted = 0
  let deleted = 0
  let opsSeeingOthers = 0
  for (let i = 0; i < ops; i++) {
    await sleep(random() * maxDelayMs)
    const mine = (c) => c.codePointAt(0) >= tokenBase && c.codePointAt(0) < next
    if ([...tokensOf(text.toString())].some((c) => !mine(c))) opsSeeingOthers++
    if (live.length === 0 || random() < 0.6) {
      const count = 1 + Math.floor(random() * 3)
      let tokens = ''
      for (let k = 0; k < count; k++) tokens += String.fromCharCode(next++)
      text.insert(Math.floor(random() * (text.length + 1)), tokens)
      live.push(...tokens)
      inserted += count
    } else {
      const [token] = live.splice(Math.floor(random() * live.length), 1)
      const index = text.toString().indexOf(token)
      if (index < 0) throw new Error(`own token U+${token.codePointAt(0).toString(16)} vanished`)
      text.delete(index, 1)
      deleted++
    }
  }
  reply('edited', { survivors: live.join(''), inserted, deleted, opsSeeingOthers })
}

async function settle ({ clause, tokens, quietMs = 300 }) {
  const expected = new Set(tokens)
  const matches = () => {
    const found = tokensOf(body(clause).toString())
    return found.size === expected.size && [...found].every((c) => expected.has(c))
  }
  await waitFor(
    () => matches() && Date.now() - lastChange >= quietMs,
    () => {
      const found = tokensOf(body(clause).toString())
      const missing = [...expected].filter((c) => !found.has(c)).length
      const extra = [...found].filter((c) => !expected.has(c)).length
      return `the body of '${clause}' to hold the expected tokens (${missing} missing, ${extra} unexpected)`
    }
  )
  reply('settled', { text: body(clause).toString() })
}

async function handle (command) {
  switch (command.cmd) {
    case 'edit':
      return edit(command)
    case 'settle':
      return settle(command)
    case 'insert': {
      const text = body(command.clause)
      text.insert(command.index < 0 ? text.length : command.index, command.text)
      return reply('inserted')
    }
    case 'waitText': {
      await waitFor(
        () => body(command.clause).toString().includes(command.contains),
        () => `${JSON.stringify(command.contains)} in the body of '${command.clause}' (now ${JSON.stringify(body(command.clause).toString())})`
      )
      return reply('text', { text: body(command.clause).toString() })
    }
    case 'setUser':
      provider.awareness.setLocalStateField('user', { name: command.name })
      return reply('userSet')
    case 'waitPresence': {
      const states = () => [...provider.awareness.getStates().entries()]
      await waitFor(
        () => states().some(([id, state]) => id !== doc.clientID && state?.user?.name === command.name),
        () => `the presence of ${JSON.stringify(command.name)} (states: ${JSON.stringify(states())})`
      )
      return reply('presence', { states: states() })
    }
    case 'close': {
      reply('closed')
      const socket = provider.ws
      provider.destroy()
      if (socket && socket.readyState !== WebSocket.CLOSED) {
        await Promise.race([new Promise((resolve) => socket.once('close', resolve)), sleep(2000)])
      }
      process.exit(0)
      break
    }
    default:
      throw new Error(`unknown command ${JSON.stringify(command)}`)
  }
}

async function main () {
  await waitFor(() => provider.synced, () => `the first sync with ${provider.url}`)
  reply('synced', { clientId: doc.clientID })
  for await (const line of createInterface({ input: process.stdin })) {
    if (!line.trim()) continue
    await handle(JSON.parse(line))
  }
  // stdin closed without "close": the test went away.
  provider.destroy()
  process.exit(0)
}

main().catch((error) => fail(1, error?.stack ?? String(error)))
