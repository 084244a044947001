// Two-way binding between a plain-text form field (<input> or <textarea>) and a Y.Text.
//
// * Local input: the minimal change between the last synced value and the field's new value
//   (common prefix/suffix, biased towards the caret) is applied as delete+insert in ONE
//   transaction. No formatting attributes, no embeds: plain text only.
// * Remote change: the field's value is replaced and the user's selection is carried through
//   the event's delta (retain/insert/delete), so the caret does not jump.
// * IME composition: input events between compositionstart and compositionend are ignored; at
//   compositionend the whole composed change is diffed, transformed through any remote change
//   that arrived meanwhile, and applied.

/**
 * Minimal single-span change turning `prev` into `next`.
 * `cursor` (the caret in `next`, if known) disambiguates repeated characters: typing "a" with
 * the caret after the first "a" of "aa" is an insert at offset 1, not at the end.
 * Never splits a UTF-16 surrogate pair.
 * @param {string} prev
 * @param {string} next
 * @param {number} [cursor]
 * @returns {{index: number, remove: number, insert: string}}
 */
export function diffText (prev, next, cursor) {
  const minLen = Math.min(prev.length, next.length)
  let prefix = 0
  while (prefix < minLen && prev.charCodeAt(prefix) === next.charCodeAt(prefix)) prefix++
  if (typeof cursor === 'number' && cursor >= 0) {
    // the inserted text (if any) ends at the caret, so it cannot start after caret - growth
    prefix = Math.min(prefix, Math.max(0, cursor - Math.max(0, next.length - prev.length)))
  }
  if (prefix > 0 && isHighSurrogate(prev.charCodeAt(prefix - 1))) prefix--
  const maxSuffix = minLen - prefix
  let suffix = 0
  while (
    suffix < maxSuffix &&
    prev.charCodeAt(prev.length - 1 - suffix) === next.charCodeAt(next.length - 1 - suffix)
  ) suffix++
  if (suffix > 0 && isLowSurrogate(next.charCodeAt(next.length - suffix))) suffix--
  return {
    index: prefix,
    remove: prev.length - prefix - suffix,
    insert: next.slice(prefix, next.length - suffix)
  }
}

const isHighSurrogate = (c) => c >= 0xd800 && c <= 0xdbff
const isLowSurrogate = (c) => c >= 0xdc00 && c <= 0xdfff

/**
 * Map an offset in the old text through a Yjs text delta to an offset in the new text.
 * @param {number} pos
 * @param {Array<{retain?: number, insert?: any, delete?: number}>} delta
 * @param {number} assoc  <0: stay before text inserted exactly at `pos`; >0: move after it
 */
export function transformPosition (pos, delta, assoc = -1) {
  let oldIndex = 0
  let shift = 0
  for (const op of delta) {
    if (oldIndex > pos) break
    if (typeof op.retain === 'number') {
      oldIndex += op.retain
    } else if (op.insert !== undefined) {
      const len = typeof op.insert === 'string' ? op.insert.length : 1
      if (oldIndex < pos || (oldIndex === pos && assoc > 0)) shift += len
    } else if (typeof op.delete === 'number') {
      if (oldIndex < pos) shift -= Math.min(op.delete, pos - oldIndex)
      oldIndex += op.delete
    }
  }
  return pos + shift
}

/**
 * @param {HTMLInputElement|HTMLTextAreaElement} el
 * @param {import('yjs').Text} ytext  must be integrated in a Y.Doc
 * @param {{onValue?: (el: HTMLElement) => void, unsafeTitle?: string}} [opts]
 *   onValue: called after the field's value changed (e.g. to auto-grow a textarea)
 *   unsafeTitle: tooltip for a field whose text cannot be represented exactly (read-only)
 */
export function bindText (el, ytext, opts = {}) {
  const doc = ytext.doc
  const origin = { binding: el } // marks our own transactions
  let value = '' // the text last known to be identical in the field and in the Y.Text
  let composing = false
  /** remote deltas received during an IME composition, oldest first */
  let pendingDeltas = []
  let writable = false
  let safe = true
  let destroyed = false

  const notify = () => { if (opts.onValue) opts.onValue(el) }

  const updateReadOnly = () => {
    el.readOnly = !(writable && safe)
    if (!safe && opts.unsafeTitle) el.title = opts.unsafeTitle
    else el.removeAttribute('title')
  }

  /** Put the Y.Text's text in the field (and notice if the field cannot hold it exactly). */
  const load = () => {
    value = ytext.toString()
    if (el.value !== value) el.value = value
    // <input> strips line breaks, <textarea> normalises CR; embeds are not in toString():
    // editing such a text through offsets would corrupt it, so the field becomes read-only.
    const nowSafe = el.value === value && ytext.length === value.length
    if (nowSafe !== safe) { safe = nowSafe; updateReadOnly() }
    notify()
  }

  /**
   * Send the field's local change (relative to `value`) to the Y.Text. `deltas` are remote
   * changes already applied to the Y.Text but not yet to `value` (during a composition).
   */
  const commitLocal = (deltas) => {
    const next = el.value
    if (next === value) {
      if (deltas.length === 0) return
      const sel = selection() // remote changes only: carry the selection through them
      load()
      restoreSelection(sel && mapSelection(sel, deltas))
      return
    }
    if (!writable || !safe) { // should not happen (field is read-only): drop the local change
      const sel = selection()
      load()
      restoreSelection(sel)
      return
    }
    const { index, remove, insert } = diffText(value, next, el.selectionEnd ?? undefined)
    let start = index
    let end = index + remove
    for (const d of deltas) {
      start = transformPosition(start, d, remove > 0 ? 1 : -1)
      end = transformPosition(end, d, -1)
    }
    const len = ytext.length
    start = Math.min(start, len)
    end = Math.max(start, Math.min(end, len))
    doc.transact(() => {
      if (end > start) ytext.delete(start, end - start)
      // no attributes argument: plain text, never new formatting
      if (insert.length > 0) ytext.insert(start, insert)
    }, origin)
    if (deltas.length === 0) {
      value = next
      notify()
      return
    }
    // local and remote changes were merged: show the merged text, caret after our insert
    const caret = start + insert.length
    load()
    if (document.activeElement === el) el.setSelectionRange(caret, caret)
  }

  const selection = () => document.activeElement === el
    ? { start: el.selectionStart ?? 0, end: el.selectionEnd ?? 0, dir: el.selectionDirection || 'none' }
    : null

  const mapSelection = (sel, deltas) => {
    let { start, end } = sel
    const collapsed = start === end
    for (const d of deltas) {
      start = transformPosition(start, d, collapsed ? -1 : 1)
      end = transformPosition(end, d, -1)
    }
    return { start, end: Math.max(start, end), dir: sel.dir }
  }

  const restoreSelection = (sel) => {
    if (!sel || document.activeElement !== el) return
    const max = el.value.length
    el.setSelectionRange(Math.min(sel.start, max), Math.min(sel.end, max), sel.dir)
  }

  /** @param {import('yjs').YTextEvent} event */
  const observer = (event) => {
    if (event.transaction.origin === origin) return // our own edit, already in the field
    // read the delta now: it is computed lazily and must be read before the doc changes again
    const delta = event.delta
    if (composing) { pendingDeltas.push(delta); return }
    if (el.value !== value) { commitLocal([delta]); return } // unsent local change: merge
    const sel = selection()
    load()
    restoreSelection(sel && mapSelection(sel, [delta]))
  }

  const onInput = (e) => {
    if (composing || e.isComposing) return
    commitLocal([])
  }
  const onCompositionStart = () => { composing = true }
  const onCompositionEnd = () => {
    composing = false
    const deltas = pendingDeltas
    pendingDeltas = []
    commitLocal(deltas)
  }

  load()
  updateReadOnly()
  ytext.observe(observer)
  el.addEventListener('input', onInput)
  el.addEventListener('compositionstart', onCompositionStart)
  el.addEventListener('compositionend', onCompositionEnd)

  return {
    ytext,
    /** Allow or forbid local edits (e.g. not yet synced, or after the server refused a change). */
    setWritable (w) {
      if (destroyed || w === writable) return
      writable = w
      updateReadOnly()
    },
    destroy () {
      if (destroyed) return
      destroyed = true
      ytext.unobserve(observer)
      el.removeEventListener('input', onInput)
      el.removeEventListener('compositionstart', onCompositionStart)
      el.removeEventListener('compositionend', onCompositionEnd)
    }
  }
}
