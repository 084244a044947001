// Other members' carets and selections in a clause editor, from awareness.
//
// The same classes and awareness field (`cursor: {anchor, head}`, Yjs relative positions) as
// y-codemirror.next's yRemoteSelections, so any y-codemirror.next client sees ours and we see
// theirs. Ours differs in one way: the page's Content-Security-Policy forbids `style="…"`
// attributes, which y-codemirror.next's caret widget sets; colours here go through the CSSOM.
// Names and colours are read through presence.readState (awareness is untrusted input).

import * as Y from 'yjs'
import { Annotation, RangeSet } from '@codemirror/state'
import { Decoration, ViewPlugin, WidgetType } from '@codemirror/view'
import { COLORS, readState } from './presence.js'

const awarenessChanged = Annotation.define()

class CaretWidget extends WidgetType {
  constructor (color, name) {
    super()
    this.color = color
    this.name = name
  }

  toDOM () {
    const caret = document.createElement('span')
    caret.className = 'cm-ySelectionCaret'
    caret.style.setProperty('background-color', this.color)
    caret.style.setProperty('border-color', this.color)
    const dot = document.createElement('span')
    dot.className = 'cm-ySelectionCaretDot'
    const info = document.createElement('span')
    info.className = 'cm-ySelectionInfo'
    info.textContent = this.name
    caret.append('\u2060', dot, '\u2060', info, '\u2060')
    return caret
  }

  eq (other) { return other.color === this.color && other.name === this.name }
  get estimatedHeight () { return -1 }
  ignoreEvent () { return true }
}

/**
 * @param {Y.Text} ytext
 * @param {import('y-protocols/awareness').Awareness} awareness
 * @param {() => boolean} [shareCursor]  whether our own caret is shown to the others now
 */
export function remoteCarets (ytext, awareness, shareCursor = () => true) {
  return ViewPlugin.fromClass(class {
    constructor (view) {
      this.view = view
      this.listener = ({ added, updated, removed }) => {
        const others = added.concat(updated, removed).some((id) => id !== awareness.clientID)
        if (others && !this.destroyed) {
          queueMicrotask(() => { if (!this.destroyed) view.dispatch({ annotations: awarenessChanged.of(true) }) })
        }
      }
      awareness.on('change', this.listener)
      this.decorations = RangeSet.empty
    }

    destroy () {
      this.destroyed = true
      awareness.off('change', this.listener)
    }

    update (update) {
      this.shareOwnCursor(update)
      this.decorations = this.build(update.view)
    }

    /** Put our selection in awareness while this editor has the focus; clear it when it leaves. */
    shareOwnCursor (update) {
      const local = awareness.getLocalState()
      if (local == null) return
      const focused = update.view.hasFocus && document.hasFocus()
      if (focused && shareCursor()) {
        const sel = update.state.selection.main
        const anchor = Y.createRelativePositionFromTypeIndex(ytext, sel.anchor)
        const head = Y.createRelativePositionFromTypeIndex(ytext, sel.head)
        const cur = local.cursor
        if (cur == null ||
          !Y.compareRelativePositions(Y.createRelativePositionFromJSON(cur.anchor), anchor) ||
          !Y.compareRelativePositions(Y.createRelativePositionFromJSON(cur.head), head)) {
          awareness.setLocalStateField('cursor', { anchor, head })
        }
      } else if (local.cursor != null && (update.focusChanged || !shareCursor()) && this.ownsCursor(local.cursor)) {
        awareness.setLocalStateField('cursor', null)
      }
    }

    ownsCursor (cursor) {
      try {
        const at = Y.createAbsolutePositionFromRelativePosition(Y.createRelativePositionFromJSON(cursor.head), ytext.doc)
        return !!at && at.type === ytext
      } catch (_) {
        return false
      }
    }

    build (view) {
      const doc = ytext.doc
      if (!doc) return RangeSet.empty
      const length = view.state.doc.length
      const decorations = []
      awareness.getStates().forEach((state, clientID) => {
        if (clientID === awareness.clientID) return
        const cursor = state && state.cursor
        if (!cursor || cursor.anchor == null || cursor.head == null) return
        const who = readState(state)
        if (!who) return
        let anchor, head
        try {
          anchor = Y.createAbsolutePositionFromRelativePosition(Y.createRelativePositionFromJSON(cursor.anchor), doc)
          head = Y.createAbsolutePositionFromRelativePosition(Y.createRelativePositionFromJSON(cursor.head), doc)
        } catch (_) {
          return // malformed positions from a peer
        }
        if (!anchor || !head || anchor.type !== ytext || head.type !== ytext) return
        const a = Math.min(anchor.index, length)
        const h = Math.min(head.index, length)
        const from = Math.min(a, h)
        const to = Math.max(a, h)
        if (from < to) {
          decorations.push(Decoration.mark({
            class: `cm-ySelection cd-tint-${tintIndex(who.color)}`
          }).range(from, to))
        }
        decorations.push(Decoration.widget({
          side: h - a > 0 ? -1 : 1,
          widget: new CaretWidget(who.color, who.name)
        }).range(h))
      })
      return decorations.length ? Decoration.set(decorations, true) : RangeSet.empty
    }
  }, { decorations: (v) => v.decorations })
}

// Selection tints are classes (app.css), not inline styles; a colour outside the palette
// gets the neutral tint.
function tintIndex (color) {
  const i = COLORS.indexOf(String(color).toLowerCase())
  return i < 0 ? 'x' : String(i)
}
