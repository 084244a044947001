// Presence over the awareness protocol: who is here, and who is editing which field.
// Local state: {user: {name, color}, editing: {clause, field} | null}.

import { t } from './i18n.js'

// Dark enough for white text (contrast >= 4.5:1) and for a 2px outline on white.
export const COLORS = ['#b3261e', '#8a4600', '#1e6b3a', '#0b57d0', '#6a3ea1', '#a3136b', '#00676b', '#5b5d00']
const STORAGE_KEY = 'charter-drafts.guest'

/**
 * The local user. Signed in: the account's display name, with a colour derived from it (the
 * same person has the same colour in every tab). Otherwise a "Guest NNN" kept for the browser
 * tab's session (sessionStorage).
 * @param {string} [name]  the account's display name (data-user-name), if any
 */
export function localUser (name) {
  const given = typeof name === 'string' ? name.trim().slice(0, 40) : ''
  if (given) return { name: given, color: COLORS[hash(given) % COLORS.length] }
  let stored = null
  try { stored = JSON.parse(sessionStorage.getItem(STORAGE_KEY) || 'null') } catch (_) { stored = null }
  if (!stored || typeof stored.n !== 'number' || stored.n < 100 || stored.n > 999) {
    const n = 100 + Math.floor(Math.random() * 900)
    stored = { n, color: COLORS[n % COLORS.length] }
    try { sessionStorage.setItem(STORAGE_KEY, JSON.stringify(stored)) } catch (_) { /* private mode */ }
  }
  const color = isColor(stored.color) ? stored.color : COLORS[stored.n % COLORS.length]
  return { name: t('guest', { n: stored.n }), color }
}

/** A small non-cryptographic string hash (FNV-1a, 32 bits). */
function hash (s) {
  let h = 0x811c9dc5
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193)
  return h >>> 0
}

const isColor = (c) => typeof c === 'string' && /^#[0-9a-f]{6}$/i.test(c)

/**
 * Sanitised view of a remote awareness state (it is untrusted input).
 * @returns {{name: string, color: string, editing: {clause: string, field: string} | null} | null}
 */
export function readState (state) {
  const user = state && typeof state === 'object' ? state.user : null
  if (!user || typeof user.name !== 'string') return null
  const name = user.name.trim().slice(0, 40)
  if (!name) return null
  const color = isColor(user.color) ? user.color : '#555555'
  const e = state.editing
  const editing = e && typeof e === 'object' && typeof e.clause === 'string' &&
    (e.field === 'title' || e.field === 'body')
    ? { clause: e.clause, field: e.field }
    : null
  return { name, color, editing }
}

/** A small coloured name badge. */
export function badge (name, color) {
  const span = document.createElement('span')
  span.className = 'badge'
  span.style.setProperty('--user-color', color)
  span.textContent = name
  return span
}

/**
 * Render the "here now" list into `container` (an element we own).
 * @param {HTMLElement} container
 * @param {import('y-protocols/awareness').Awareness} awareness
 */
export function renderPeople (container, awareness) {
  const self = awareness.clientID
  const people = []
  awareness.getStates().forEach((state, clientID) => {
    const s = readState(state)
    if (s) people.push({ ...s, self: clientID === self, clientID })
  })
  people.sort((a, b) => (b.self - a.self) || a.name.localeCompare(b.name) || a.clientID - b.clientID)
  const frag = document.createDocumentFragment()
  const label = document.createElement('span')
  label.className = 'presence-label'
  label.textContent = t('hereNow')
  frag.append(label)
  const list = document.createElement('ul')
  for (const p of people) {
    const li = document.createElement('li')
    li.append(badge(p.self ? t('you', { name: p.name }) : p.name, p.color))
    list.append(li)
  }
  frag.append(list)
  container.replaceChildren(frag)
}

/**
 * Other users editing each field, as a Map "clauseId\u0000field" -> [{name, color}].
 * @param {import('y-protocols/awareness').Awareness} awareness
 */
export function editorsByField (awareness) {
  const map = new Map()
  awareness.getStates().forEach((state, clientID) => {
    if (clientID === awareness.clientID) return
    const s = readState(state)
    if (!s || !s.editing) return
    const key = fieldKey(s.editing.clause, s.editing.field)
    if (!map.has(key)) map.set(key, [])
    map.get(key).push({ name: s.name, color: s.color })
  })
  return map
}

export const fieldKey = (clause, field) => clause + '\u0000' + field
