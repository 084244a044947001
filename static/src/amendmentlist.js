// A clause's amendments as DOM: open ones first and in full (the change as a word diff, the
// rationale, who supports it), the others (merged, rejected, withdrawn) folded away. Everything
// people wrote goes in as text.
//
// Buttons carry `data-action` (support, unsupport, withdraw) and `data-amendment`.

import { formatDateTime, formatNumber, t } from './i18n.js'
import { diffNodes, wordDiff } from './worddiff.js'

const STATUS_LABELS = { open: 'amendmentOpen', merged: 'amendmentMerged', rejected: 'amendmentRejected', withdrawn: 'amendmentWithdrawn' }
const KIND_LABELS = { replace: 'kindReplace', insert_after: 'kindInsertAfter', delete: 'kindDelete' }

/**
 * @param {any[]} amendments  the clause's amendments (the API's shape)
 * @param {{userId: string, canComment: boolean}} ctx
 * @returns {HTMLElement[]}  the open ones' <li>, then a <details> with the others, if any
 */
export function renderAmendments (amendments, ctx) {
  const open = amendments.filter((a) => a.status === 'open')
  const done = amendments.filter((a) => a.status !== 'open')
  const out = open.map((a) => item(a, ctx))
  if (done.length > 0) {
    const li = el('li', 'amendments-done')
    const details = el('details')
    const summary = el('summary')
    summary.textContent = t('amendmentsDone', { n: formatNumber(done.length) })
    const list = el('ol', 'amendments')
    list.append(...done.map((a) => item(a, ctx)))
    details.append(summary, list)
    li.append(details)
    out.push(li)
  }
  return out
}

function item (a, ctx) {
  const li = el('li')
  const article = el('article', 'amendment')
  article.dataset.amendment = String(a.id)
  article.dataset.status = a.status
  const head = el('header', 'amendment-head')
  const kind = el('span', 'amendment-kind')
  kind.textContent = t(KIND_LABELS[a.kind] || 'kindReplace')
  const status = el('span', `badge status-${a.status}`)
  status.textContent = t(STATUS_LABELS[a.status] || 'amendmentOpen')
  head.append(kind, ' ', status)
  if (a.stale) {
    const stale = el('span', 'badge amendment-stale')
    stale.textContent = t('amendmentStale')
    stale.title = t('amendmentStaleHelp')
    head.append(' ', stale)
  }
  const by = el('p', 'amendment-by')
  const who = [a.author ? a.author.display_name : '', a.organisation ? a.organisation.name : ''].filter(Boolean).join(', ')
  by.textContent = t('proposedBy', { who, time: formatDateTime(new Date(a.created_at)) })
  article.append(head, by, change(a))
  const rationale = el('p', 'rationale')
  rationale.textContent = a.rationale
  article.append(rationale)

  const supports = a.supports || []
  const supporters = el('p', 'amendment-supports')
  supporters.textContent = supports.length === 0
    ? t('noSupport')
    : t('supportedBy', {
      n: formatNumber(supports.length),
      who: supports.map((s) => s.organisation ? `${s.user ? s.user.display_name : ''} (${s.organisation.name})` : (s.user ? s.user.display_name : '')).join(', ')
    })
  article.append(supporters)

  const mine = ctx.userId !== '' && a.author && String(a.author.id) === ctx.userId
  const supported = supports.some((s) => s.user && String(s.user.id) === ctx.userId)
  if (ctx.canComment && a.status === 'open') {
    const actions = el('div', 'amendment-actions')
    if (!mine) {
      actions.append(supported
        ? button('unsupport', a.id, t('unsupport'))
        : button('support', a.id, t('support')))
    } else {
      actions.append(button('withdraw', a.id, t('withdrawAmendment')))
    }
    article.append(actions)
  }
  li.append(article)
  return li
}

/** What the amendment changes, as a word diff of the clause's text when it was proposed. */
function change (a) {
  const box = el('div', 'diff')
  if (a.kind === 'delete') {
    const p = el('p', 'proposal')
    p.textContent = t('deletesClause')
    box.append(p)
    return box
  }
  const base = a.kind === 'insert_after' ? { title: '', body: '' } : (a.base || { title: '', body: '' })
  for (const field of ['title', 'body']) {
    const proposed = a[field]
    if (proposed == null || (a.kind === 'replace' && proposed === base[field])) continue
    const p = el('p', `diff-${field}`)
    p.append(...diffNodes(wordDiff(base[field] || '', proposed)))
    box.append(p)
  }
  return box
}

function button (action, id, text) {
  const b = el('button', `amendment-${action}`)
  b.type = 'button'
  b.dataset.action = action
  b.dataset.amendment = String(id)
  b.textContent = text
  return b
}

function el (tag, className) {
  const node = document.createElement(tag)
  if (className) node.className = className
  return node
}
