// A clause's comment threads as DOM: each root comment with its replies nested, resolved
// threads collapsed. Text from people goes in as text (textContent); only `body_html`, which the
// server renders from Markdown and sanitises, goes in as HTML.
//
// Buttons carry `data-action` and `data-comment`: the panel (deliberation.js) handles them with
// one listener, and finds the same button again after a re-render (to keep the focus).

import { formatDateTime, formatNumber, plural, t } from './i18n.js'

/**
 * @typedef {object} ThreadContext
 * @property {string} userId  the viewer's user id ('' if unknown)
 * @property {boolean} canComment  comment, reply, react, report (the role and the phase)
 * @property {boolean} canModerate  the secretariat: resolve any thread, hide a comment
 * @property {Set<number>} openResolved  resolved threads the viewer opened
 */

/**
 * @param {any[]} comments  the clause's comments (the API's shape), oldest first
 * @param {ThreadContext} ctx
 * @returns {HTMLElement[]}  one <li> per thread
 */
export function renderThreads (comments, ctx) {
  const ids = new Set(comments.map((c) => c.id))
  const replies = new Map()
  const roots = []
  for (const c of comments) {
    if (c.reply_to != null && ids.has(c.reply_to)) {
      if (!replies.has(c.reply_to)) replies.set(c.reply_to, [])
      replies.get(c.reply_to).push(c)
    } else {
      roots.push(c)
    }
  }
  return roots.map((root) => {
    const li = el('li', 'thread')
    li.dataset.thread = String(root.id)
    const article = renderComment(root, ctx, replies)
    if (root.status === 'resolved') {
      const details = el('details', 'resolved-thread')
      details.dataset.comment = String(root.id)
      details.open = ctx.openResolved.has(root.id)
      const summary = el('summary')
      summary.textContent = plural('threadResolved', countReplies(root.id, replies), {
        name: root.author.display_name
      })
      details.append(summary, article)
      li.append(details)
    } else {
      li.append(article)
    }
    return li
  })
}

function countReplies (id, replies) {
  let n = 0
  for (const r of replies.get(id) || []) n += 1 + countReplies(r.id, replies)
  return n
}

function renderComment (c, ctx, replies) {
  const article = el('article', 'comment')
  article.dataset.comment = String(c.id)
  article.dataset.status = c.status
  article.tabIndex = -1
  const mine = ctx.userId !== '' && String(c.author.id) === ctx.userId

  const header = el('header', 'comment-head')
  const author = el('span', 'comment-author')
  author.textContent = c.author.display_name
  header.append(author)
  if (c.author.organisation) {
    const org = el('span', 'comment-org')
    org.textContent = c.author.organisation.name
    header.append(' ', org)
  }
  const time = el('time', 'comment-time')
  time.dateTime = c.created_at
  time.textContent = formatDateTime(new Date(c.created_at))
  header.append(' ', time)
  if (c.edited_at) {
    const edited = el('span', 'comment-edited')
    edited.textContent = t('commentEdited')
    header.append(' ', edited)
  }
  if (c.status !== 'open') {
    const badge = el('span', `badge status-${c.status}`)
    badge.textContent = t(c.status === 'hidden' ? 'commentHiddenBadge' : 'commentResolvedBadge')
    header.append(' ', badge)
  }
  article.append(header)

  if (c.anchor) {
    if (c.anchor.lost) {
      const lost = el('p', 'comment-lost')
      lost.textContent = t('anchorLost')
      article.append(lost)
    }
    const quote = el('blockquote', 'comment-quote')
    if (c.anchor.lost) quote.classList.add('is-lost')
    quote.textContent = c.anchor.quote
    article.append(quote)
  }

  if (c.body_html) {
    const body = el('div', 'comment-body')
    body.innerHTML = c.body_html // rendered and sanitised by the server, never built here
    article.append(body)
  }
  if (c.status === 'hidden') {
    const hidden = el('p', 'comment-hidden')
    // Why: given to its author and the secretariat only (the API leaves it out for others).
    hidden.textContent = c.hidden_reason
      ? t('commentHiddenBecause', { reason: c.hidden_reason })
      : t('commentHidden')
    article.append(hidden)
  }

  const actions = el('div', 'comment-actions')
  if (c.status !== 'hidden') {
    actions.append(reaction(c, 'agree', ctx), reaction(c, 'disagree', ctx))
  }
  if (ctx.canComment && c.status === 'open') {
    actions.append(button('reply', c.id, t('reply'), t('replyTo', { name: c.author.display_name })))
  }
  if (ctx.canComment && mine && c.status !== 'hidden') {
    actions.append(button('edit', c.id, t('editComment')))
  }
  if (c.reply_to == null && (ctx.canModerate || (ctx.canComment && mine))) {
    if (c.status === 'open') actions.append(button('resolve', c.id, t('resolve')))
    else if (c.status === 'resolved') actions.append(button('reopen', c.id, t('reopen')))
  }
  if (ctx.canComment && !mine && c.status !== 'hidden') {
    actions.append(button('report', c.id, t('report')))
  }
  if (ctx.canModerate && c.status !== 'hidden') {
    actions.append(button('hide', c.id, t('hide')))
  }
  if (actions.childNodes.length > 0) article.append(actions)

  const children = replies.get(c.id) || []
  if (children.length > 0) {
    const list = el('ol', 'replies')
    list.setAttribute('aria-label', t('repliesTo', { name: c.author.display_name }))
    for (const r of children) {
      const li = el('li')
      li.append(renderComment(r, ctx, replies))
      list.append(li)
    }
    article.append(list)
  }
  return article
}

function reaction (c, kind, ctx) {
  const count = c.reactions ? c.reactions[kind] : 0
  const label = t(kind === 'agree' ? 'agree' : 'disagree')
  const b = button(kind, c.id, `${label} ${formatNumber(count)}`)
  b.classList.add('reaction')
  b.setAttribute('aria-pressed', c.my_reaction === kind ? 'true' : 'false')
  if (!ctx.canComment) b.disabled = true
  return b
}

function button (action, id, text, label) {
  const b = el('button', `comment-${action}`)
  b.type = 'button'
  b.dataset.action = action
  b.dataset.comment = String(id)
  b.textContent = text
  if (label && label !== text) b.setAttribute('aria-label', label)
  return b
}

function el (tag, className) {
  const node = document.createElement(tag)
  if (className) node.className = className
  return node
}
