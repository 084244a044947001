// Highlighted ranges of the live text, held as Yjs relative positions.
//
// A range is anchored to the characters around it, not to offsets: it follows every edit,
// local or remote, and means the same text in every browser. Layers are named by what they
// show ("search" now; comment anchors and amendment previews next), each set and cleared as a
// whole. Every clause editor draws the ranges that fall in its own Y.Text.
//
//   const highlights = new Highlights()
//   highlights.set('search', [anchorRange(ytext, 4, 9, 'cd-search-match')])
//   new EditorView({ extensions: [highlightsExtension(highlights, ytext)] })

import * as Y from 'yjs'
import { Annotation, RangeSet } from '@codemirror/state'
import { Decoration, ViewPlugin } from '@codemirror/view'

/**
 * @typedef {{from: Y.RelativePosition, to: Y.RelativePosition, className: string, title?: string}} AnchoredRange
 */

/**
 * A range of `ytext` from `from` to `to` (offsets now), anchored so that text typed at either
 * edge stays outside it.
 * @param {Y.Text} ytext
 * @param {number} from
 * @param {number} to
 * @param {string} className  CSS class(es) of the highlight
 * @param {string} [title]  a tooltip, if any
 * @returns {AnchoredRange}
 */
export function anchorRange (ytext, from, to, className, title) {
  return {
    from: Y.createRelativePositionFromTypeIndex(ytext, from, 0),
    to: Y.createRelativePositionFromTypeIndex(ytext, to, -1),
    className,
    title
  }
}

/**
 * Where an anchored range is now in `ytext`: offsets, or null if it is elsewhere, empty or gone.
 * @param {AnchoredRange} range
 * @param {Y.Text} ytext
 * @returns {{from: number, to: number} | null}
 */
export function resolveRange (range, ytext) {
  const doc = ytext.doc
  if (!doc) return null
  const from = Y.createAbsolutePositionFromRelativePosition(range.from, doc)
  const to = Y.createAbsolutePositionFromRelativePosition(range.to, doc)
  if (!from || !to || from.type !== ytext || to.type !== ytext) return null
  const end = Math.min(to.index, ytext.length)
  return from.index < end ? { from: from.index, to: end } : null
}

/** Named layers of anchored ranges, shared by every editor of the page. */
export class Highlights {
  constructor () {
    /** @type {Map<string, AnchoredRange[]>} */
    this.layers = new Map()
    /** @type {Set<() => void>} */
    this.listeners = new Set()
  }

  /**
   * Replace the ranges of one layer.
   * @param {string} layer
   * @param {AnchoredRange[]} ranges
   */
  set (layer, ranges) {
    if (ranges.length === 0 && !this.layers.has(layer)) return
    if (ranges.length === 0) this.layers.delete(layer)
    else this.layers.set(layer, ranges.slice())
    for (const listener of this.listeners) listener()
  }

  /** @param {string} layer */
  clear (layer) { this.set(layer, []) }

  /**
   * The ranges of every layer that lie in `ytext`, as offsets, sorted.
   * @param {Y.Text} ytext
   */
  rangesIn (ytext) {
    const found = []
    for (const ranges of this.layers.values()) {
      for (const range of ranges) {
        const at = resolveRange(range, ytext)
        if (at) found.push({ ...at, className: range.className, title: range.title })
      }
    }
    return found.sort((a, b) => a.from - b.from || a.to - b.to)
  }

  /** @param {() => void} listener  @returns {() => void} unsubscribe */
  subscribe (listener) {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }
}

const redraw = Annotation.define()

/**
 * The CodeMirror extension that draws `highlights`' ranges lying in `ytext`.
 * @param {Highlights} highlights
 * @param {Y.Text} ytext
 */
export function highlightsExtension (highlights, ytext) {
  return ViewPlugin.fromClass(class {
    constructor (view) {
      this.decorations = this.build()
      // later, never inside another update (a change may come from any editor's transaction)
      this.unsubscribe = highlights.subscribe(() => queueMicrotask(() => {
        if (!this.destroyed) view.dispatch({ annotations: redraw.of(true) })
      }))
    }

    update (update) {
      if (update.docChanged || update.transactions.some((tr) => tr.annotation(redraw))) {
        this.decorations = this.build()
      }
    }

    build () {
      const length = ytext.length
      const marks = highlights.rangesIn(ytext)
        .filter((r) => r.to <= length)
        .map((r) => Decoration.mark({
          class: r.className,
          attributes: r.title ? { title: r.title } : undefined
        }).range(r.from, r.to))
      return marks.length ? Decoration.set(marks, true) : RangeSet.empty
    }

    destroy () { this.destroyed = true; this.unsubscribe() }
  }, { decorations: (v) => v.decorations })
}
