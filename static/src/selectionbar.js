// Words selected in a clause's text (its editor, read-only ones too): remembered per clause, and
// a small bar under them offering Comment and Propose an amendment to those who may.

import { anchorRange } from './highlights.js'
import { t } from './i18n.js'

/**
 * @param {object} o
 * @param {() => Map<string, any>} o.rows  clause id -> row (li, fields.{title,body}.editor)
 * @param {Map<string, {field: string, ytext: any, range: any, quote: string}>} o.selections
 *   filled here: the words last selected in each clause, anchored so they follow the text
 * @param {() => boolean} o.canComment
 * @param {(clause: string) => void} o.comment
 * @param {(clause: string) => void} o.propose
 */
export function createSelectionBar (o) {
  const bar = document.createElement('div')
  bar.className = 'selection-bar'
  bar.setAttribute('role', 'toolbar')
  bar.setAttribute('aria-label', t('selectionActions'))
  bar.hidden = true
  const comment = button('action-comment', t('commentAction'))
  const propose = button('action-propose', t('proposeAction'))
  bar.append(comment, propose)
  // the bar keeps the selection: pressing its buttons does not move it
  bar.addEventListener('mousedown', (e) => e.preventDefault())
  let clause = null
  comment.addEventListener('click', () => { if (clause) o.comment(clause) })
  propose.addEventListener('click', () => { if (clause) o.propose(clause) })
  document.body.append(bar)

  /** The words selected in a clause field, if the selection lies in one. */
  function selected () {
    const sel = document.getSelection()
    if (!sel || sel.rangeCount === 0 || sel.isCollapsed) return null
    const range = sel.getRangeAt(0)
    const start = range.startContainer instanceof Element ? range.startContainer : range.startContainer.parentElement
    const wrap = start && start.closest('[data-field]')
    if (!wrap || !wrap.contains(range.endContainer)) return null
    const li = wrap.closest('li.clause')
    const row = li ? o.rows().get(li.dataset.clause) : null
    const editor = row && row.fields[wrap.dataset.field] && row.fields[wrap.dataset.field].editor
    if (!editor || !editor.view.contentDOM.contains(range.startContainer)) return null
    let from, to
    try {
      from = editor.view.posAtDOM(range.startContainer, range.startOffset)
      to = editor.view.posAtDOM(range.endContainer, range.endOffset)
    } catch (_) { return null }
    if (to < from) [from, to] = [to, from]
    if (to === from || to > editor.ytext.length) return null
    return { clause: row.id, field: wrap.dataset.field, ytext: editor.ytext, from, to, rect: range.getBoundingClientRect() }
  }

  function update () {
    const s = selected()
    if (!s) {
      // a caret placed in a clause's text forgets what was selected there
      const sel = document.getSelection()
      const node = sel && sel.isCollapsed ? sel.anchorNode : null
      const start = node instanceof Element ? node : node ? node.parentElement : null
      const field = start ? start.closest('li.clause [data-field]') : null
      if (field) o.selections.delete(field.closest('li.clause').dataset.clause)
      bar.hidden = true
      return
    }
    const quote = s.ytext.toString().slice(s.from, s.to)
    o.selections.set(s.clause, { field: s.field, ytext: s.ytext, range: anchorRange(s.ytext, s.from, s.to, ''), quote })
    if (!o.canComment()) { bar.hidden = true; return }
    clause = s.clause
    bar.hidden = false
    bar.style.setProperty('top', `${Math.round(s.rect.bottom + window.scrollY + 6)}px`)
    bar.style.setProperty('left', `${Math.round(Math.max(4, s.rect.left + window.scrollX))}px`)
  }
  document.addEventListener('selectionchange', update)
  // 'selectionchange' arrives as a later task: a Tab pressed right after the last Shift+Arrow can
  // move the focus first, so the words are also taken when the focus leaves a clause's text
  document.addEventListener('focusout', (e) => {
    if (e.target instanceof Element && e.target.closest('li.clause [data-field]')) update()
  }, true)
  document.addEventListener('keydown', (e) => { if (e.key === 'Escape') bar.hidden = true })

  return {
    hide () { bar.hidden = true },
    /** who may comment changed (the phase or the role became known): offer it, or not */
    update
  }
}

function button (className, text) {
  const b = document.createElement('button')
  b.type = 'button'
  b.className = className
  b.textContent = text
  return b
}
