// One clause field (title or body) as a CodeMirror 6 editor bound to its Y.Text.
//
// y-codemirror.next's yCollab does the binding and the undo: a Y.UndoManager that tracks only
// this editor's own transactions, so Ctrl-Z never takes back someone else's text. Its remote
// selections are replaced by remotecarets.js (same classes, no inline style attributes).
// Prose, not code: no gutters, wrapping, the page's serif font (app.css), a placeholder.
// Read-only: not editable (contenteditable="false", aria-readonly="true") yet focusable,
// selectable and copyable; the reason is the element named by `describedBy`.

import * as Y from 'yjs'
import { Compartment, EditorState, Prec } from '@codemirror/state'
import { EditorView, keymap, placeholder as placeholderText } from '@codemirror/view'
import { defaultKeymap } from '@codemirror/commands'
import { yCollab, yRemoteSelections, yRemoteSelectionsTheme, yUndoManagerKeymap } from 'y-codemirror.next'
import { highlightsExtension } from './highlights.js'
import { remoteCarets } from './remotecarets.js'

/**
 * @param {object} o
 * @param {HTMLElement} o.parent  the field's element (data-field)
 * @param {Y.Text} o.ytext
 * @param {import('y-protocols/awareness').Awareness} o.awareness
 * @param {'title'|'body'} o.field
 * @param {string} o.labelledBy  id of the element naming the editor ("Clause 3, body")
 * @param {string} o.describedBy  id of the element saying why it is read-only (if it is)
 * @param {string} o.placeholder
 * @param {import('./highlights.js').Highlights} o.highlights
 * @param {() => void} [o.onEnter]  Enter in a title (a title is one line)
 * @param {string} [o.styleNonce]  the page's CSP nonce for CodeMirror's own style elements
 */
export function createClauseEditor (o) {
  const undoManager = new Y.UndoManager(o.ytext)
  const access = new Compartment()
  let writable = false

  const collab = [yCollab(o.ytext, o.awareness, { undoManager })].flat(Infinity)
    .filter((ext) => ext !== yRemoteSelections && ext !== yRemoteSelectionsTheme)

  const extensions = [
    collab,
    remoteCarets(o.ytext, o.awareness),
    highlightsExtension(o.highlights, o.ytext),
    keymap.of([...yUndoManagerKeymap, ...defaultKeymap]),
    // offsets in the editor are offsets in the Y.Text: only "\n" breaks lines (a "\r" stays a
    // character, where CodeMirror would otherwise fold "\r\n" into one break)
    EditorState.lineSeparator.of('\n'),
    EditorView.lineWrapping,
    placeholderText(o.placeholder),
    EditorView.contentAttributes.of({
      'aria-labelledby': o.labelledBy,
      'aria-describedby': o.describedBy,
      'aria-multiline': o.field === 'body' ? 'true' : 'false',
      spellcheck: 'true',
      autocorrect: 'on',
      autocapitalize: 'sentences',
      translate: 'no'
    }),
    access.of(accessExtensions(false))
  ]
  if (o.styleNonce) extensions.push(EditorView.cspNonce.of(o.styleNonce))
  if (o.field === 'title') {
    extensions.push(Prec.highest(keymap.of([{ key: 'Enter', run: () => { if (o.onEnter) o.onEnter(); return true } }])))
    extensions.push(oneLine)
  }

  const view = new EditorView({
    parent: o.parent,
    state: EditorState.create({ doc: o.ytext.toString(), extensions })
  })

  return {
    ytext: o.ytext,
    view,
    get writable () { return writable },
    /** Allow or forbid local edits (not synced yet, refused, read-only role, frozen…). */
    setWritable (w) {
      if (w === writable) return
      writable = w
      view.dispatch({ effects: access.reconfigure(accessExtensions(w)) })
    },
    focus () { view.focus() },
    destroy () {
      view.destroy()
      undoManager.destroy()
    }
  }
}

function accessExtensions (writable) {
  return [
    EditorView.editable.of(writable),
    EditorState.readOnly.of(!writable),
    // a read-only editor stays in the tab order: members read, select and copy from it
    EditorView.contentAttributes.of(writable
      ? { 'aria-readonly': 'false' }
      : { 'aria-readonly': 'true', tabindex: '0' })
  ]
}

/** A title is one line: line breaks typed or pasted into it become spaces. */
const oneLine = EditorState.transactionFilter.of((tr) => {
  if (!tr.docChanged || !(tr.isUserEvent('input') || tr.isUserEvent('paste') || tr.isUserEvent('drop'))) return tr
  let breaks = false
  tr.changes.iterChanges((fromA, toA, fromB, toB, inserted) => { if (inserted.lines > 1) breaks = true })
  if (!breaks) return tr
  const changes = []
  tr.changes.iterChanges((fromA, toA, fromB, toB, inserted) => {
    changes.push({ from: fromA, to: toA, insert: inserted.toString().replace(/\s*[\r\n]+\s*/g, ' ') })
  })
  return { changes, scrollIntoView: true, userEvent: 'input' }
})
