// Search over all clauses (Ctrl-F), shown through the highlights API: every match is an
// anchored range (it follows live edits); the current one is scrolled to.

import { EditorView } from '@codemirror/view'
import { anchorRange, resolveRange } from './highlights.js'
import { formatNumber, t } from './i18n.js'

const LAYER = 'search'
const MATCH = 'cd-search-match'
const CURRENT = 'cd-search-match cd-search-current'

/**
 * @param {object} o
 * @param {HTMLElement} o.before  the search form goes just before this element
 * @param {import('./highlights.js').Highlights} o.highlights
 * @param {() => Array<{ytext: import('yjs').Text, editor: {view: EditorView}}>} o.fields
 *   the live fields in document order
 */
export function createSearch (o) {
  const form = document.createElement('form')
  form.className = 'search'
  form.setAttribute('role', 'search')
  const label = document.createElement('label')
  label.htmlFor = 'clause-search'
  label.textContent = t('searchLabel')
  const input = document.createElement('input')
  input.type = 'search'
  input.id = 'clause-search'
  input.autocomplete = 'off'
  input.setAttribute('aria-describedby', 'clause-search-count')
  const prev = button(t('searchPrevious'), 'search-previous')
  const next = button(t('searchNext'), 'search-next')
  const count = document.createElement('span')
  count.id = 'clause-search-count'
  count.className = 'search-count'
  count.setAttribute('aria-live', 'polite')
  form.append(label, input, prev, next, count)
  o.before.before(form)

  /** @type {Array<{ytext: any, editor: any, range: any}>} */
  let matches = []
  let current = -1
  let timer = 0
  let returnTo = null

  function find () {
    const query = input.value
    matches = []
    if (query.trim() !== '') {
      const needle = query.toLocaleLowerCase()
      for (const f of o.fields()) {
        const text = f.ytext.toString()
        const hay = text.toLocaleLowerCase()
        if (hay.length !== text.length) continue // a case mapping that changes lengths
        let at = hay.indexOf(needle)
        while (at >= 0 && needle.length > 0) {
          matches.push({ ytext: f.ytext, editor: f.editor, range: anchorRange(f.ytext, at, at + needle.length, MATCH) })
          at = hay.indexOf(needle, at + needle.length)
        }
      }
    }
    if (current >= matches.length) current = matches.length - 1
    if (current < 0 && matches.length > 0) current = 0
    show(false)
  }

  function show (scroll) {
    o.highlights.set(LAYER, matches.map((m, i) => i === current ? { ...m.range, className: CURRENT } : m.range))
    if (input.value.trim() === '') count.textContent = ''
    else if (matches.length === 0) count.textContent = t('searchNone')
    else count.textContent = t('searchCount', { n: formatNumber(current + 1), total: formatNumber(matches.length) })
    prev.disabled = next.disabled = matches.length === 0
    if (scroll && current >= 0) {
      const m = matches[current]
      const at = resolveRange(m.range, m.ytext)
      if (at) m.editor.view.dispatch({ effects: EditorView.scrollIntoView(at.from, { y: 'center' }) })
    }
  }

  function step (by) {
    if (matches.length === 0) return
    current = (current + by + matches.length) % matches.length
    show(true)
  }

  input.addEventListener('input', () => { current = 0; find(); show(true) })
  form.addEventListener('submit', (e) => { e.preventDefault(); step(1) })
  input.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && e.shiftKey) { e.preventDefault(); step(-1) }
    if (e.key === 'Escape') {
      input.value = ''
      find()
      if (returnTo && returnTo.isConnected) returnTo.focus()
      returnTo = null
    }
  })
  prev.addEventListener('click', () => step(-1))
  next.addEventListener('click', () => step(1))
  // Ctrl-F (Cmd-F) searches the clauses: the editors hold more than the browser's find sees.
  document.addEventListener('keydown', (e) => {
    if ((e.ctrlKey || e.metaKey) && !e.altKey && !e.shiftKey && e.key.toLowerCase() === 'f') {
      e.preventDefault()
      if (document.activeElement !== input) returnTo = document.activeElement
      input.focus()
      input.select()
    }
  })

  return {
    /** The text changed: find again, a little later (never inside an editor's update). */
    refresh () {
      if (input.value.trim() === '') return
      clearTimeout(timer)
      timer = setTimeout(find, 150)
    }
  }
}

function button (text, className) {
  const b = document.createElement('button')
  b.type = 'button'
  b.className = className
  b.textContent = text
  b.disabled = true
  return b
}
