// Each clause's discussion beside it: comment threads and amendments, with the forms to comment,
// reply, react, resolve, report, hide (the secretariat) and propose an amendment, as the member's
// role and the charter's phase allow (the server's rule: `can()`; it has the last word).
//
// Comment anchors are drawn in the clause's text through the page's Highlights (one layer per
// clause, as Yjs relative positions made from the API's offsets once the live text is there), so
// they follow the words as people type. Selecting words in a clause (read-only editors too) shows
// a small bar: Comment, Propose an amendment; the clause's own buttons do the same from the
// keyboard. Live: the charter's events (`comment`, `amendment`) re-read the clause's items.

import { createApi } from './api.js'
import { anchorRange, resolveRange } from './highlights.js'
import { createSelectionBar } from './selectionbar.js'
import { formatNumber, t } from './i18n.js'
import { renderThreads } from './threads.js'
import { renderAmendments } from './amendmentlist.js'
import { amendmentForm, hideForm, textForm } from './deliberationforms.js'

/** roles that take part in the deliberation (the `comment` action) */
const COMMENTING_ROLES = new Set(['secretariat', 'editor', 'commenter'])
const ANCHOR_CLASS = 'cd-comment-anchor'
/** events of one clause closer together than this are read once */
const REFETCH_DELAY_MS = 60

/**
 * @param {object} o
 * @param {HTMLElement} o.list  the clauses' list (<ol id="clauses">)
 * @param {string} o.apiUrl  the charter's API address
 * @param {string} o.csrf  the session's CSRF token
 * @param {string} o.userId
 * @param {() => string} o.role  the member's role now ('' if none)
 * @param {() => string | null} o.phase  the charter's phase now (null: not known yet)
 * @param {() => Map<string, any>} o.rows  clause id -> row (li, fields.{title,body}.editor, label)
 * @param {import('./highlights.js').Highlights} o.highlights
 */
export function createDeliberation (o) {
  const api = createApi(o.apiUrl, o.csrf)
  /** clause id -> its comments / amendments (the API's shapes) */
  const comments = new Map()
  const amendments = new Map()
  /** clause id -> panel */
  const panels = new Map()
  /** comment id -> {ytext, range}: anchors made once, then following the text */
  const anchors = new Map()
  /** clause id -> what its anchors layer was last set to (to skip setting it again) */
  const drawnAnchors = new Map()
  /** the words last selected in each clause: {field, range, quote} */
  const selections = new Map()
  /** resolved threads the reader opened */
  const openResolved = new Set()
  const refetching = new Map()
  let active = null
  let loaded = false

  const canComment = () => COMMENTING_ROLES.has(o.role()) && o.phase() !== null && o.phase() !== 'closed'
  const canModerate = () => o.role() === 'secretariat'

  // ------------------------------------------------------------------------------ data

  async function loadAll () {
    const [c, a] = await Promise.all([api.get('/comments'), api.get('/amendments')])
    if (c.ok) group(comments, c.data.comments)
    if (a.ok) group(amendments, a.data.amendments)
    loaded = true
    for (const clause of panels.keys()) renderPanel(clause)
  }

  function group (into, items) {
    into.clear()
    for (const item of Array.isArray(items) ? items : []) {
      if (!into.has(item.clause)) into.set(item.clause, [])
      into.get(item.clause).push(item)
    }
  }

  /** Read one clause's comments or amendments again (after an event or our own change). */
  function refetch (clause, what) {
    const key = `${what}:${clause}`
    if (refetching.has(key)) return
    refetching.set(key, setTimeout(async () => {
      refetching.delete(key)
      const res = await api.get(`/${what}?clause=${encodeURIComponent(clause)}`)
      if (!res.ok) return
      ;(what === 'comments' ? comments : amendments).set(clause, res.data[what] || [])
      renderPanel(clause)
    }, REFETCH_DELAY_MS))
  }

  // ---------------------------------------------------------------------------- panels

  /** After the clauses were (re)drawn: a panel for each clause, anchors in the live text. */
  function sync () {
    const rows = o.rows()
    for (const [clause, panel] of panels) {
      const row = rows.get(clause)
      if (!row || !row.li.contains(panel.section)) {
        panel.section.remove()
        panels.delete(clause)
        o.highlights.clear(`comments:${clause}`)
        drawnAnchors.delete(clause)
      }
    }
    for (const [clause, row] of rows) {
      if (!panels.has(clause)) {
        panels.set(clause, createPanel(clause, row))
        renderPanel(clause)
      } else {
        const panel = panels.get(clause)
        if (panel.label !== row.label) { panel.label = row.label; panel.heading.textContent = t('discussion', { clause: row.label }) }
        drawAnchors(clause)
      }
    }
  }

  function createPanel (clause, row) {
    const section = el('section', 'deliberation')
    const n = panels.size + 1
    const heading = el('h3', 'deliberation-heading')
    heading.id = `cd-discussion-${row.n ?? n}`
    heading.textContent = t('discussion', { clause: row.label })
    section.setAttribute('aria-labelledby', heading.id)
    const toolbar = el('div', 'clause-actions')
    const commentButton = button('comment', t('commentAction'))
    const proposeButton = button('propose', t('proposeAction'))
    toolbar.append(commentButton, proposeButton)
    const note = el('p', 'panel-status')
    note.setAttribute('role', 'status')
    const formSlot = el('div', 'form-slot')
    const threadsHeading = el('h4', 'threads-heading')
    const threads = el('ol', 'threads')
    const amendHeading = el('h4', 'amendments-heading')
    const amendList = el('ol', 'amendments')
    section.append(heading, toolbar, note, formSlot, threadsHeading, threads, amendHeading, amendList)
    row.li.append(section)
    const panel = { clause, section, heading, toolbar, note, formSlot, threadsHeading, threads, amendHeading, amendList, label: row.label }

    commentButton.addEventListener('click', () => openComment(clause))
    proposeButton.addEventListener('click', () => openAmendment(clause))
    section.addEventListener('click', (e) => {
      const target = e.target instanceof Element ? e.target.closest('button[data-action]') : null
      if (target && section.contains(target)) act(clause, target)
    })
    section.addEventListener('toggle', (e) => {
      const details = e.target
      if (details instanceof HTMLDetailsElement && details.dataset.comment) {
        const id = Number(details.dataset.comment)
        if (details.open) openResolved.add(id)
        else openResolved.delete(id)
      }
    }, true)
    // the thread under the pointer or the focus: its words stand out in the text
    const hover = (e) => {
      const article = e.target instanceof Element ? e.target.closest('article.comment') : null
      setActive(article ? Number(threadRoot(article).dataset.comment) : null)
    }
    threads.addEventListener('mouseover', hover)
    threads.addEventListener('focusin', hover)
    threads.addEventListener('mouseleave', () => setActive(null))
    threads.addEventListener('focusout', (e) => { if (!threads.contains(e.relatedTarget)) setActive(null) })
    return panel
  }

  function renderPanel (clause) {
    const panel = panels.get(clause)
    if (!panel) return
    const mayComment = canComment()
    panel.toolbar.hidden = !mayComment
    // the secretariat hides in every phase: its form may stay open
    if (!mayComment && !canModerate() && panel.formSlot.firstChild) closeForm(clause)
    const focus = focusKey(panel.section)
    const list = comments.get(clause) || []
    const roots = list.filter((c) => c.reply_to == null).length
    panel.threadsHeading.textContent = loaded ? t('commentsCount', { n: formatNumber(roots) }) : t('loadingComments')
    panel.threads.replaceChildren(...renderThreads(list, {
      userId: o.userId, canComment: mayComment, canModerate: canModerate(), openResolved
    }))
    const proposals = amendments.get(clause) || []
    const open = proposals.filter((a) => a.status === 'open').length
    panel.amendHeading.textContent = t('amendmentsCount', { n: formatNumber(open) })
    panel.amendHeading.hidden = proposals.length === 0
    panel.amendList.replaceChildren(...renderAmendments(proposals, { userId: o.userId, canComment: mayComment }))
    if (focus) restoreFocus(panel.section, focus)
    if (active !== null) panel.threads.querySelector(`article.comment[data-comment="${active}"]`)?.classList.add('is-active')
    drawAnchors(clause)
  }

  // --------------------------------------------------------------------------- anchors

  function drawAnchors (clause) {
    const row = o.rows().get(clause)
    const ranges = []
    for (const c of comments.get(clause) || []) {
      if (!c.anchor || c.anchor.lost || c.status !== 'open') { anchors.delete(c.id); continue }
      const editor = row && row.fields[c.anchor.field] && row.fields[c.anchor.field].editor
      if (!editor) continue
      let held = anchors.get(c.id)
      if (!held || held.ytext !== editor.ytext) {
        const { from, to } = c.anchor
        if (!(from >= 0 && to > from && to <= editor.ytext.length)) continue
        held = { ytext: editor.ytext, range: anchorRange(editor.ytext, from, to, '') }
        anchors.set(c.id, held)
      }
      ranges.push({
        ...held.range,
        className: `${ANCHOR_CLASS} cd-comment-${c.id}${active === c.id ? ' is-active' : ''}`,
        title: t('anchorTitle', { name: c.author.display_name })
      })
    }
    // every editor redraws when a layer is set: only when something changed
    const texts = row ? [row.fields.title.editor, row.fields.body.editor].map((e) => e && e.ytext) : []
    const key = ranges.map((r) => r.className + '@' + r.title).join('|')
    const drawn = drawnAnchors.get(clause)
    if (drawn && drawn.key === key && drawn.texts.every((x, i) => x === texts[i])) return
    drawnAnchors.set(clause, { key, texts })
    o.highlights.set(`comments:${clause}`, ranges)
  }

  function setActive (id) {
    if (active === id) return
    const before = active
    active = id
    for (const clause of comments.keys()) {
      if ((comments.get(clause) || []).some((c) => c.id === before || c.id === id)) drawAnchors(clause)
    }
    for (const article of o.list.querySelectorAll('article.comment.is-active')) article.classList.remove('is-active')
    if (id !== null) {
      const article = o.list.querySelector(`article.comment[data-comment="${id}"]`)
      if (article) article.classList.add('is-active')
    }
  }

  // clicking commented words: to their thread
  o.list.addEventListener('click', (e) => {
    const mark = e.target instanceof Element ? e.target.closest(`.${ANCHOR_CLASS}`) : null
    if (!mark) return
    const found = [...mark.classList].map((c) => /^cd-comment-(\d+)$/.exec(c)).find(Boolean)
    if (!found) return
    const article = o.list.querySelector(`article.comment[data-comment="${found[1]}"]`)
    if (!article) return
    article.scrollIntoView({ block: 'nearest' })
    article.focus()
    setActive(Number(found[1]))
  })

  // ------------------------------------------------------------------------- selection

  const bar = createSelectionBar({
    rows: o.rows,
    selections,
    canComment,
    comment: (clause) => openComment(clause),
    propose: (clause) => openAmendment(clause)
  })

  // ----------------------------------------------------------------------------- forms

  function openForm (clause, form) {
    const panel = panels.get(clause)
    if (!panel) return
    bar.hide()
    panel.formSlot.replaceChildren(form.element)
    form.element.scrollIntoView({ block: 'nearest' })
    form.focus()
  }

  function closeForm (clause, message = '') {
    const panel = panels.get(clause)
    o.highlights.clear('comment-draft')
    if (!panel) return
    const hadFocus = panel.formSlot.contains(document.activeElement)
    panel.formSlot.replaceChildren()
    panel.note.textContent = message
    if (hadFocus) (panel.toolbar.hidden ? panel.section.querySelector('button') : panel.toolbar.querySelector('button'))?.focus()
  }

  /** The words selected in the clause, if they are still there: {field, from, to, quote}. */
  function currentSelection (clause) {
    const s = selections.get(clause)
    if (!s) return null
    const at = resolveRange(s.range, s.ytext)
    return at ? { field: s.field, quote: s.quote, ytext: s.ytext, range: s.range, ...at } : null
  }

  function openComment (clause) {
    const s = currentSelection(clause)
    if (s) o.highlights.set('comment-draft', [{ ...s.range, className: 'cd-comment-draft' }])
    openForm(clause, textForm({
      heading: t(s ? 'commentOnWords' : 'commentOnClause'),
      quote: s ? s.quote : '',
      label: t('yourComment'),
      submit: t('send'),
      cancel: () => closeForm(clause),
      send: async ({ body }) => {
        const payload = { clause, body }
        if (s) {
          const at = resolveRange(s.range, s.ytext)
          if (!at) return t('selectionGone')
          payload.anchor = { field: s.field, from: at.from, to: at.to }
        }
        return done(clause, 'comments', await api.post('/comments', payload), t('commentSent'))
      }
    }))
  }

  function openAmendment (clause) {
    const row = o.rows().get(clause)
    if (!row || !row.fields.body.editor) return
    const s = currentSelection(clause)
    openForm(clause, amendmentForm({
      title: row.fields.title.editor.ytext.toString(),
      body: row.fields.body.editor.ytext.toString(),
      selected: s && s.field === 'body' ? s : null,
      cancel: () => closeForm(clause),
      send: async (values) => done(clause, 'amendments', await api.post('/amendments', { clause, ...values }), t('amendmentSent'))
    }))
  }

  /** After a write: the clause's items again, the form closed; else the server's reason. */
  function done (clause, what, res, message) {
    if (!res.ok) return res.data.message
    refetch(clause, what)
    closeForm(clause, message)
    return null
  }

  async function act (clause, target) {
    const id = Number(target.dataset.comment || target.dataset.amendment)
    const action = target.dataset.action
    const comment = (comments.get(clause) || []).find((c) => c.id === id)
    const panel = panels.get(clause)
    const say = (res, message = '') => {
      if (panel) panel.note.textContent = res.ok ? message : res.data.message
      if (res.ok && res.data && res.data.id === id && target.dataset.comment) {
        const list = comments.get(clause) || []
        comments.set(clause, list.map((c) => (c.id === id ? res.data : c)))
        renderPanel(clause)
      }
      refetch(clause, target.dataset.comment ? 'comments' : 'amendments')
    }
    switch (action) {
      case 'agree':
      case 'disagree':
        if (comment && comment.my_reaction === action) say(await api.delete(`/comments/${id}/reactions`))
        else say(await api.post(`/comments/${id}/reactions`, { reaction: action }))
        break
      case 'reply':
        if (!comment) return
        openForm(clause, textForm({
          heading: t('replyTo', { name: comment.author.display_name }),
          label: t('yourReply'),
          submit: t('send'),
          cancel: () => closeForm(clause),
          send: async ({ body }) => done(clause, 'comments', await api.post('/comments', { clause, body, reply_to: id }), t('replySent'))
        }))
        break
      case 'edit':
        if (!comment) return
        openForm(clause, textForm({
          heading: t('editHeading'),
          value: comment.body,
          label: t('yourComment'),
          submit: t('save'),
          cancel: () => closeForm(clause),
          send: async ({ body }) => done(clause, 'comments', await api.patch(`/comments/${id}`, { body }), t('commentSaved'))
        }))
        break
      case 'resolve':
      case 'reopen':
        say(await api.patch(`/comments/${id}`, { status: action === 'resolve' ? 'resolved' : 'open' }),
          t(action === 'resolve' ? 'resolvedNote' : 'reopenedNote'))
        break
      case 'report':
        say(await api.post(`/comments/${id}/report`), t('reportedNote'))
        break
      case 'hide':
        openForm(clause, hideForm({
          cancel: () => closeForm(clause),
          send: async ({ reason }) => done(clause, 'comments', await api.post(`/comments/${id}/hide`, { reason }), t('hiddenNote'))
        }))
        break
      case 'support':
        say(await api.post(`/amendments/${id}/supports`), t('supportedNote'))
        break
      case 'unsupport':
        say(await api.delete(`/amendments/${id}/supports`), t('unsupportedNote'))
        break
      case 'withdraw':
        say(await api.post(`/amendments/${id}/withdraw`), t('withdrawnNote'))
        break
    }
  }

  return {
    sync,
    /** the role or the phase changed: what the member may do changed */
    refresh () {
      for (const clause of panels.keys()) renderPanel(clause)
      bar.update()
    },
    /** `{type: "comment" | "amendment", clause, …}` from the charter's events */
    onEvent (data) {
      if (typeof data.clause !== 'string') return
      if (data.type === 'comment') refetch(data.clause, 'comments')
      if (data.type === 'amendment') {
        refetch(data.clause, 'amendments')
        if (data.status === 'merged') loadAll() // a merge may change other clauses' amendments
      }
    },
    /** everything again (the event stream (re)opened: what happened meanwhile came as no event) */
    reload () { loadAll() }
  }
}

/** The thread's first comment, for a comment anywhere in it. */
function threadRoot (article) {
  let root = article
  for (let up = article.parentElement; up; up = up.parentElement) {
    if (up.matches('article.comment')) root = up
    if (up.matches('ol.threads')) break
  }
  return root
}

function focusKey (section) {
  const a = document.activeElement
  if (!(a instanceof HTMLElement) || !section.contains(a) || !a.dataset.action) return null
  return { action: a.dataset.action, comment: a.dataset.comment, amendment: a.dataset.amendment }
}

const TWINS = { support: 'unsupport', unsupport: 'support', resolve: 'reopen', reopen: 'resolve' }

function restoreFocus (section, key) {
  const by = key.comment ? `[data-comment="${key.comment}"]` : `[data-amendment="${key.amendment}"]`
  const found = section.querySelector(`button[data-action="${key.action}"]${by}`) ||
    section.querySelector(`button[data-action="${TWINS[key.action]}"]${by}`) ||
    section.querySelector(`article${by}`)
  if (found instanceof HTMLElement) found.focus()
}

function button (action, text) {
  const b = el('button', `action-${action}`)
  b.type = 'button'
  b.textContent = text
  return b
}

function el (tag, className) {
  const node = document.createElement(tag)
  if (className) node.className = className
  return node
}
