// charter-drafts browser client: live co-editing of a charter's clauses (Yjs + y-websocket).
//
// Page contract: <main id="charter" data-slug data-ws-url data-api-url data-role data-can-edit
// data-user-name data-user-id data-events-url> holding .charter-meta (.phase, .role badges),
// #status and <ol id="clauses"> (server-rendered read-only clauses, replaced once the live doc is
// synced). data-can-edit="false": read-only, presence only.
// Each clause is <li data-clause="ID"> holding <div data-field="title"> and <div data-field="body">,
// each a CodeMirror editor bound to its Y.Text (clauseeditor.js). Members who may edit keep the
// document in IndexedDB (y-indexeddb, per charter and user): edits made offline survive a reload
// and are sent when the connection is back.
// The API (data-api-url) gives each clause's kind and `frozen` flag (frozen: read-only for all)
// and the phase. Server-Sent Events (data-events-url) bring phase, frozen and role changes live:
// who may edit is then "editor or secretariat, while drafting", as the server decides.
// Live doc: Y.Map "clauses" (id -> Y.Map {title: Y.Text, body: Y.Text}), Y.Array "order" (ids).
// This client only ever edits the title/body Y.Text of existing clauses, as plain text.

import * as Y from 'yjs'
import { WebsocketProvider } from 'y-websocket'
import { IndexeddbPersistence } from 'y-indexeddb'
import { formatNumber, formatSeconds, formatTime, lang, plural, t } from './i18n.js'
import { createClauseEditor } from './clauseeditor.js'
import { Highlights } from './highlights.js'
import { createSearch } from './search.js'
import { createDeliberation } from './deliberation.js'
import { badge, editorsByField, fieldKey, localUser, renderPeople } from './presence.js'

const MESSAGE_AUTH = 2 // y-protocols auth message (permission denied + reason)
// Server close codes (no reconnect: y-websocket stops for 4400-4499 and emits 'closed')
const CLOSE_UNAUTHENTICATED = 4401
const CLOSE_FORBIDDEN = 4403
const CLOSE_NOT_FOUND = 4404
/** roles that edit the text while drafting: read-only for them means "not in this phase" */
const EDITING_ROLES = new Set(['secretariat', 'editor'])
/** the phase in which the text is live */
const DRAFTING = 'drafting'
const PHASE_LABELS = { drafting: 'phaseDrafting', consultation: 'phaseConsultation', closed: 'phaseClosed' }
const ROLE_LABELS = { secretariat: 'roleSecretariat', editor: 'roleEditor', commenter: 'roleCommenter', observer: 'roleObserver' }
const FIELDS = /** @type {const} */ (['title', 'body'])
/** how long to wait for the browser's stored copy before connecting without it */
const LOCAL_STORE_WAIT_MS = 3000

const root = document.getElementById('charter')
if (root && root.dataset.slug && root.dataset.wsUrl) start(root)

/** @param {HTMLElement} root */
function start (root) {
  const slug = root.dataset.slug
  const wsBase = location.origin.replace(/^http/, 'ws') + root.dataset.wsUrl
  const apiUrl = root.dataset.apiUrl || null
  const eventsUrl = root.dataset.eventsUrl || null
  const userId = root.dataset.userId || ''
  /** the user's role in this charter ('' if none), live from the events */
  let role = root.dataset.role || ''
  // absent (older pages): editable, as before; the server has the last word anyway
  const pageCanEdit = root.dataset.canEdit !== 'false'
  /** may the user edit the text: the page's answer until the phase is known, then the rule */
  let canEdit = pageCanEdit
  // Only members who may edit keep a copy in the browser (nothing of theirs to keep otherwise),
  // one per charter and account: two accounts in one browser profile never mix.
  const localStoreName = pageCanEdit && userId && typeof indexedDB !== 'undefined'
    ? `charter-drafts/${slug}/${userId}`
    : null
  const phaseBadge = root.querySelector('.charter-meta .phase')
  const roleBadge = root.querySelector('.charter-meta .role')

  const statusEl = document.getElementById('status') || root.appendChild(el('p', { id: 'status', role: 'status', 'aria-live': 'polite' }))
  // The details of a lost connection (attempt, countdown, edits waiting) change every second or
  // keystroke: beside the live status line, not in it, so screen readers are not flooded.
  const statusDetail = el('p', { class: 'status-detail', hidden: '' })
  statusEl.after(statusDetail)
  const list = document.getElementById('clauses') || root.appendChild(el('ol', { id: 'clauses' }))
  list.classList.add('clauses')

  // Our own UI around the list: an alert for refusals, the "here now" list, an empty note.
  const notice = el('div', { class: 'notice', role: 'alert', hidden: '' })
  const noticeText = el('p', { class: 'notice-text' })
  const noticeHelp = el('p', { class: 'notice-help' })
  // what the server refused, to copy out before the reload discards it
  const unsaved = el('div', { class: 'unsaved', hidden: '' })
  const unsavedLabel = el('label', { for: 'unsaved-text' })
  unsavedLabel.textContent = t('unsavedLabel')
  const unsavedText = el('textarea', { id: 'unsaved-text', readonly: '', rows: '6' })
  const copyButton = el('button', { type: 'button', class: 'copy' })
  copyButton.textContent = t('copyText')
  const copyResult = el('span', { class: 'copy-result', 'aria-live': 'polite' })
  copyButton.addEventListener('click', () => copyOut())
  unsaved.append(unsavedLabel, unsavedText, copyButton, copyResult)
  const reloadButton = el('button', { type: 'button', class: 'reload' })
  reloadButton.textContent = t('reload')
  reloadButton.addEventListener('click', () => reload())
  const noticeLink = el('a', { class: 'notice-link', hidden: '' })
  notice.append(noticeText, noticeHelp, unsaved, reloadButton, noticeLink)
  const people = el('div', { class: 'presence', hidden: '' })
  statusDetail.after(notice, people)
  const emptyNote = el('p', { class: 'empty-note', hidden: '' })
  emptyNote.textContent = t('empty')
  list.after(emptyNote)

  const user = localUser(root.dataset.userName)
  /** clause id -> kind, from the API snapshot */
  const kinds = new Map()
  /** clause id -> {title, body} as the server last said (API): what a refusal leaves */
  const serverTexts = new Map()
  /** ids of frozen clauses (read-only for everyone), from the API snapshot */
  const frozen = new Set()
  /** the charter's phase: from the API, then live from the events (null: not known yet) */
  let phase = null
  /** bumped by each charter event: an API answer asked for before it is older, its phase too */
  let liveVersion = 0
  /** the user was removed from the charter (membership event): nothing more to follow */
  let removed = false
  /** clause id -> row (DOM + editors) */
  const rows = new Map()
  let seq = 0
  /** what the local user is editing, mirrored into awareness */
  let editing = null
  /** @type {ReturnType<typeof connect> | null} */
  let session = null
  /** ranges shown in the editors (search matches now; comment anchors next) */
  const highlights = new Highlights()
  const search = createSearch({ before: list, highlights, fields: liveFields })
  /** each clause's comments and amendments beside it (needs the API and the session's token) */
  const deliberation = apiUrl && root.dataset.csrf
    ? createDeliberation({
      list,
      apiUrl,
      csrf: root.dataset.csrf,
      userId,
      role: () => role,
      phase: () => phase,
      rows: () => rows,
      highlights
    })
    : null

  // ---------------------------------------------------------------- session (doc + provider)

  function connect () {
    const doc = new Y.Doc()
    const provider = new WebsocketProvider(wsBase, slug, doc, {
      // Cross-tab BroadcastChannel sync is off: a tab must never pick up (and resend) edits that
      // the server refused in another tab; the server is the only source of truth.
      disableBc: true,
      // The server's refusals and close reasons in the page's language.
      params: { lang },
      // connected once the browser's stored copy is in the doc (below)
      connect: false
    })
    const store = localStoreName ? new IndexeddbPersistence(localStoreName, doc) : null
    const s = {
      doc,
      provider,
      store,
      awareness: provider.awareness,
      order: doc.getArray('order'),
      clauses: doc.getMap('clauses'),
      connection: 'connecting',
      everConnected: false,
      failed: false, // a connection attempt failed or a connection dropped
      ready: false, // synced at least once: the doc holds the server's text
      denied: null, // reason of the last refused update
      closed: null, // {code, reason} if the server closed the connection for good
      pending: 0, // local edits made while not connected, not yet sent (kept in IndexedDB)
      fromStore: 0, // edits waiting in the stored copy when the page opened
      sentWaiting: false, // edits made offline went out with a sync
      attempt: 0, // reconnection attempts since the last good connection
      nextTry: 0, // when the next attempt is due (ms since the epoch), 0 if none
      lastSynced: 0 // when the text was last up to date with the server
    }

    s.awareness.setLocalState({ user, editing })

    // The stock handler only console.warns about refusals: read the reason first, then let it run.
    const stockAuthHandler = provider.messageHandlers[MESSAGE_AUTH]
    provider.messageHandlers[MESSAGE_AUTH] = (encoder, decoder, p, emitSynced, type) => {
      const denied = peekPermissionDenied(decoder)
      try {
        stockAuthHandler(encoder, decoder, p, emitSynced, type)
      } finally {
        if (denied !== null && session === s) {
          s.denied = denied
          applyWritable()
          showStatus()
          refreshKinds(true) // a clause may have been frozen, or the phase changed
        }
      }
    }

    provider.on('status', ({ status }) => {
      if (session !== s) return
      s.connection = status
      if (status === 'connected') {
        if (s.everConnected) refreshKinds(true) // back after a drop: things may have changed
        s.everConnected = true
        s.nextTry = 0
      }
      showStatus()
    })
    provider.on('connection-close', () => {
      if (session !== s) return
      s.failed = true
      // y-websocket's back-off (it counts this failure right after this event)
      s.attempt = provider.wsUnsuccessfulReconnects + 1
      s.nextTry = provider.shouldConnect
        ? Date.now() + Math.min(2 ** s.attempt * 100, provider.maxBackoffTime)
        : 0
      showStatus()
    })
    provider.on('sync', (synced) => {
      if (session !== s) return
      if (synced) {
        if (s.pending > 0) s.sentWaiting = true // a refusal now may be of those edits
        s.attempt = 0
        s.lastSynced = Date.now()
        // what was waiting went with the sync (the server answers a refusal, if any)
        setPending(s, 0)
        if (!s.ready) {
          s.ready = true
          render()
        }
      }
      showStatus()
    })
    provider.on('closed', ({ code, reason }) => {
      if (session !== s) return
      // the events go on: a removal's 4403 may come before its membership event (one message)
      s.closed = { code, reason }
      s.nextTry = 0
      applyWritable()
      showStatus()
    })
    doc.on('update', (update, origin) => {
      if (session !== s || origin === provider || origin === store) return
      // our own edit: sent at once when connected and synced, else it waits (in IndexedDB)
      if (!(s.connection === 'connected' && provider.synced)) setPending(s, s.pending + 1)
    })

    s.order.observe(() => { if (session === s) render() })
    s.clauses.observeDeep((events) => {
      if (session !== s) return
      // text edits are handled by the editors; re-render only for structural changes
      if (events.some((e) => !(e.target instanceof Y.Text))) render()
      search.refresh()
    })
    s.awareness.on('change', () => { if (session === s) renderPresence() })

    if (store) {
      // Connect once the stored copy is loaded (its edits then go out with the first sync),
      // or without it if the browser's storage does not answer.
      let connected = false
      const go = () => {
        if (connected || session !== s) return
        connected = true
        provider.connect()
      }
      store.whenSynced.then(() => store.get('pending')).then((n) => {
        if (session !== s) return
        if (typeof n === 'number' && n > 0 && !provider.synced) {
          s.fromStore = n
          s.pending = Math.max(s.pending, n)
        }
        showStatus()
      }).catch((err) => console.warn('charter-drafts: the copy kept in this browser could not be read', err))
        .finally(go)
      setTimeout(go, LOCAL_STORE_WAIT_MS)
    } else {
      queueMicrotask(() => { if (session === s) provider.connect() })
    }
    return s
  }

  /** The number of local edits waiting to be sent, kept with the stored copy. */
  function setPending (s, n) {
    if (s.pending === n) return
    s.pending = n
    if (s.store) s.store.set('pending', n).catch(() => {})
    showStatus()
  }

  /**
   * @param {ReturnType<typeof connect>} s
   * @param {boolean} discard  also delete the copy kept in this browser (it holds refused edits)
   */
  async function teardown (s, discard) {
    for (const row of rows.values()) {
      for (const f of FIELDS) if (row.fields[f].editor) row.fields[f].editor.setWritable(false)
    }
    s.provider.destroy() // tells the others we left (awareness), closes the socket
    if (s.store && discard) {
      // Another tab of the same account holding the database open delays its deletion until
      // that tab closes: do not wait for it (the next stored copy opens after the deletion).
      const cleared = s.store.clearData().catch((err) => console.warn('charter-drafts: could not clear the stored copy', err))
      await Promise.race([cleared, new Promise((resolve) => setTimeout(resolve, LOCAL_STORE_WAIT_MS))])
    }
    s.doc.destroy() // also destroys the awareness instance and closes the stored copy
  }

  /**
   * Drop the local doc (it may hold refused changes), and the browser's copy of it, and start
   * again from the server's text.
   */
  async function reload () {
    const old = session
    session = null
    hideUnsaved()
    if (old) await teardown(old, true)
    session = connect()
    refreshKinds(true)
    listen()
    showStatus()
    renderPresence()
  }

  /** The fields shown now, in document order (for the search). */
  function liveFields () {
    const out = []
    for (const li of list.children) {
      const row = rows.get(li.dataset.clause)
      if (!row) continue
      for (const f of FIELDS) {
        const editor = row.fields[f].editor
        if (editor) out.push({ ytext: editor.ytext, editor })
      }
    }
    return out
  }

  // ---------------------------------------------------------------------------- rendering

  function render () {
    const s = session
    if (!s || !s.ready) return // keep the server-rendered list until we have the live text
    const seen = new Set()
    const clauses = []
    for (const id of s.order.toArray()) {
      if (typeof id !== 'string' || seen.has(id)) continue
      const map = s.clauses.get(id)
      if (!(map instanceof Y.Map)) continue
      const title = map.get('title')
      const body = map.get('body')
      if (!(title instanceof Y.Text) || !(body instanceof Y.Text)) continue
      seen.add(id)
      clauses.push({ id, texts: { title, body } })
    }

    let number = 0
    let unknown = false
    const wanted = []
    for (const c of clauses) {
      if (!kinds.has(c.id)) unknown = true
      const preamble = kinds.get(c.id) === 'preamble' // unknown (added later): numbered
      const label = preamble ? t('preamble') : t('clause', { n: formatNumber(++number) })
      const row = rows.get(c.id) || createRow(c.id)
      updateRow(row, c, label, preamble, s)
      wanted.push(row.li)
    }
    for (const [id, row] of rows) {
      if (!seen.has(id)) { destroyRow(row); rows.delete(id) }
    }
    placeRows(list, wanted)
    emptyNote.hidden = clauses.length > 0
    applyWritable()
    renderPresence()
    search.refresh()
    if (deliberation) deliberation.sync()
    if (unknown) refreshKinds()
  }

  function createRow (id) {
    const n = ++seq
    const li = el('li', { class: 'clause' })
    li.dataset.clause = id
    li.dataset.clauseId = id // the former name, for outside scripts
    const heading = el('h2', { class: 'clause-label' })
    const headingText = el('span', { class: 'clause-label-text' })
    const frozenBadge = el('span', { class: 'frozen-badge', hidden: '' })
    frozenBadge.textContent = t('frozen')
    frozenBadge.title = t('frozenHelp')
    heading.append(headingText, frozenBadge)
    const history = el('a', {
      class: 'clause-history',
      href: `/charters/${encodeURIComponent(root.dataset.slug || '')}/clauses/${encodeURIComponent(id)}/history`
    })
    history.textContent = t('history')
    const why = el('p', { id: `cd-${n}-why`, class: 'readonly-why', hidden: '' })
    li.append(heading, history, why)
    const fields = {}
    for (const f of FIELDS) {
      const wrap = el('div', { class: `field field-${f}` })
      wrap.dataset.field = f
      const label = el('span', { id: `cd-${n}-${f}-label`, class: 'visually-hidden' })
      const editors = el('div', { class: 'editors', hidden: '' })
      wrap.append(label, editors)
      li.append(wrap)
      fields[f] = { wrap, label, editors, editor: null, markerKey: '' }
    }
    const row = { id, n, li, headingText, frozenBadge, history, why, fields, label: '' }
    rows.set(id, row)
    return row
  }

  function updateRow (row, clause, label, preamble, s) {
    if (row.label !== label) {
      row.label = label
      row.headingText.textContent = label
      row.history.setAttribute('aria-label', t('historyOf', { clause: label }))
      row.fields.title.label.textContent = t('titleLabel', { clause: label })
      row.fields.body.label.textContent = t('bodyLabel', { clause: label })
    }
    row.li.classList.toggle('is-preamble', preamble)
    const isFrozen = frozen.has(row.id)
    row.li.classList.toggle('is-frozen', isFrozen)
    row.frozenBadge.hidden = !isFrozen
    for (const f of FIELDS) {
      const field = row.fields[f]
      const ytext = clause.texts[f]
      if (field.editor && field.editor.ytext === ytext) continue
      if (field.editor) field.editor.destroy()
      field.editor = createClauseEditor({
        parent: field.wrap,
        ytext,
        awareness: s.awareness,
        field: f,
        labelledBy: field.label.id,
        describedBy: row.why.id,
        placeholder: t(f === 'title' ? 'titlePlaceholder' : 'bodyPlaceholder'),
        highlights,
        styleNonce: root.dataset.styleNonce || undefined,
        onEnter: () => { if (row.fields.body.editor) row.fields.body.editor.focus() }
      })
      field.wrap.insertBefore(field.editor.view.dom, field.editors)
    }
  }

  function destroyRow (row) {
    for (const f of FIELDS) if (row.fields[f].editor) row.fields[f].editor.destroy()
    row.li.remove()
  }

  /** Why the editors are read-only now ('' if they are not), for everyone. */
  function readOnlyReason () {
    const s = session
    if (removed || (s && s.closed)) return statusEl.textContent
    if (s && s.denied !== null) return t('readOnlyPaused')
    if (!canEdit) return t(EDITING_ROLES.has(role) ? 'readOnlyPhase' : 'readOnlyRole')
    if (!s || !s.ready) return t('readOnlyOffline')
    return ''
  }

  function applyWritable () {
    const s = session
    const writable = !!(canEdit && s && s.ready && s.denied === null && s.closed === null)
    const reason = readOnlyReason()
    for (const row of rows.values()) {
      const isFrozen = frozen.has(row.id)
      const w = writable && !isFrozen
      for (const f of FIELDS) if (row.fields[f].editor) row.fields[f].editor.setWritable(w)
      const why = reason || (isFrozen ? t('readOnlyFrozen') : '')
      if (row.why.textContent !== why) row.why.textContent = why
      // said by the page's status line already; shown here for a frozen clause only
      row.why.hidden = !(isFrozen && !reason)
    }
    root.classList.toggle('is-readonly', !writable)
    updateEditing() // a field that became read-only is no longer "being edited"
  }

  // ------------------------------------------------------------------------------ status

  let ticker = 0

  function showStatus () {
    const s = session
    let text = t('connecting')
    let alert = ''
    let help = ''
    /** what the notice offers: reload the text (or the page), a link, or nothing */
    let action = 'reload'
    let link = null
    let countdown = false
    let detail = ''
    if (s) {
      if (s.connection === 'connected') {
        if (!s.provider.synced) text = t('syncing')
        else if (canEdit) text = t('synced')
        else text = t(EDITING_ROLES.has(role) ? 'syncedReadOnlyPhase' : 'syncedReadOnlyRole')
      } else if (s.everConnected || s.failed || s.connection === 'disconnected') {
        text = t('offline')
        const details = []
        if (s.nextTry > 0) {
          const seconds = Math.max(0, Math.ceil((s.nextTry - Date.now()) / 1000))
          details.push(t('retry', { attempt: formatNumber(s.attempt), delay: formatSeconds(seconds) }))
          countdown = true
        }
        if (s.lastSynced) details.push(t('lastSynced', { time: formatTime(new Date(s.lastSynced)) }))
        detail = details.join(' ')
      }
      if (s.pending > 0 && !(s.connection === 'connected' && s.provider.synced)) {
        detail = (detail ? detail + ' ' : '') + plural('waiting', s.pending)
      }
      if (s.denied !== null) {
        text = t('paused')
        alert = t('denied', { reason: refusalReason(s.denied) || t('noReason') })
        help = s.fromStore > 0 || s.sentWaiting ? t('deniedOffline') : t('deniedHelp')
      }
      if (removed) {
        // one message, whether the event or the websocket's 4403 came first
        text = t('removed')
        alert = text
        help = s.denied !== null ? t('unsaved') : ''
        action = 'link'
        link = { href: '/', text: t('allCharters') }
      } else if (s.closed) {
        const { code, reason } = s.closed
        if (code === CLOSE_UNAUTHENTICATED) {
          text = t('signedOut')
          action = 'link'
          link = { href: '/sign-in?next=' + encodeURIComponent(location.pathname), text: t('signInAgain') }
        } else if (code === CLOSE_FORBIDDEN) {
          text = t('forbidden', { reason: reason || t('noReason') })
          action = 'none'
        } else if (code === CLOSE_NOT_FOUND) {
          text = t('notFound')
          action = 'link'
          link = { href: '/', text: t('allCharters') }
        } else {
          text = t('closed', { reason: reason || `${t('noReason')} (${code})` })
        }
        alert = text
        if (s.denied !== null) help = t('unsaved')
      }
    }
    if (statusEl.textContent !== text) statusEl.textContent = text
    if (s && (s.denied !== null || s.closed || removed)) detail = ''
    if (statusDetail.textContent !== detail) statusDetail.textContent = detail
    statusDetail.hidden = detail === ''
    if (noticeText.textContent !== alert) noticeText.textContent = alert
    if (noticeHelp.textContent !== help) noticeHelp.textContent = help
    noticeHelp.hidden = help === ''
    reloadButton.hidden = action !== 'reload'
    noticeLink.hidden = !link
    if (link) {
      if (noticeLink.getAttribute('href') !== link.href) noticeLink.setAttribute('href', link.href)
      if (noticeLink.textContent !== link.text) noticeLink.textContent = link.text
    }
    notice.hidden = alert === ''
    if (alert === '') hideUnsaved()
    // the countdown to the next attempt, once a second while it runs
    if (countdown && !ticker) ticker = setInterval(() => showStatus(), 1000)
    if (!countdown && ticker) { clearInterval(ticker); ticker = 0 }
  }

  // --------------------------------------------------------- refused text, to copy out

  /** After a refusal: show what this browser holds that the server does not (to copy out). */
  function showUnsaved () {
    const s = session
    if (!s || s.denied === null) return
    const parts = []
    for (const li of list.children) {
      const row = rows.get(li.dataset.clause)
      const server = row && serverTexts.get(row.id)
      if (!row || !server) continue
      for (const f of FIELDS) {
        const editor = row.fields[f].editor
        if (!editor) continue
        const mine = editor.ytext.toString()
        if (mine !== server[f]) parts.push(`${row.fields[f].label.textContent}\n${mine}`)
      }
    }
    unsavedText.value = parts.join('\n\n')
    unsaved.hidden = parts.length === 0
    copyResult.textContent = ''
    showStatus()
  }

  function hideUnsaved () {
    if (unsaved.hidden && unsavedText.value === '') return
    unsaved.hidden = true
    unsavedText.value = ''
    copyResult.textContent = ''
  }

  async function copyOut () {
    unsavedText.focus()
    unsavedText.select()
    let ok = false
    try {
      await navigator.clipboard.writeText(unsavedText.value)
      ok = true
    } catch (_) {
      try { ok = document.execCommand('copy') } catch (__) { ok = false }
    }
    copyResult.textContent = t(ok ? 'copied' : 'copyFailed')
  }

  // ---------------------------------------------------------------------------- presence

  function renderPresence () {
    const s = session
    if (!s) return
    renderPeople(people, s.awareness)
    people.hidden = false
    const byField = s.ready ? editorsByField(s.awareness) : new Map()
    for (const row of rows.values()) {
      for (const f of FIELDS) {
        const field = row.fields[f]
        const who = byField.get(fieldKey(row.id, f)) || []
        const key = who.map((w) => w.name + w.color).join('|')
        if (key === field.markerKey) continue
        field.markerKey = key
        field.wrap.classList.toggle('is-edited', who.length > 0)
        if (who.length > 0) field.wrap.style.setProperty('--editor-color', who[0].color)
        else field.wrap.style.removeProperty('--editor-color')
        const said = el('span', { class: 'visually-hidden' })
        said.textContent = t('editing', { names: who.map((w) => w.name).join(', ') })
        const badges = el('span', { 'aria-hidden': 'true' })
        for (const w of who) badges.append(badge(w.name, w.color))
        field.editors.replaceChildren(...(who.length > 0 ? [said, badges] : []))
        field.editors.hidden = who.length === 0
      }
    }
  }

  function updateEditing () {
    const a = document.activeElement
    const wrap = a && a.closest ? a.closest('[data-field]') : null
    const li = wrap ? wrap.closest('li.clause') : null
    const row = li && list.contains(li) ? rows.get(li.dataset.clause) : null
    const editor = row ? row.fields[wrap.dataset.field].editor : null
    // a read-only field is only being read: not worth showing to the others as "editing"
    const next = editor && editor.writable ? { clause: row.id, field: wrap.dataset.field } : null
    if (JSON.stringify(next) === JSON.stringify(editing)) return
    editing = next
    if (session) session.awareness.setLocalStateField('editing', editing)
  }

  list.addEventListener('focusin', updateEditing)
  // focus moving between two fields: report the new field only, not a blur in between
  list.addEventListener('focusout', () => setTimeout(updateEditing, 0))

  // ------------------------------------------------------------------- clause kinds (API)

  let kindsLoading = false
  let kindsAgain = false
  let kindsFetchedAt = 0
  let kindsAttempts = 0

  /**
   * Load clause kinds, frozen clauses and the phase. Re-asked (at most every 10 s) when the doc
   * shows a clause we don't know; `retry` asks now (after a refusal, a reconnection, a reload).
   */
  async function refreshKinds (retry = false) {
    if (!apiUrl) return
    if (kindsLoading) { if (retry) kindsAgain = true; return } // the answer may predate the change
    if (!retry && (kindsAttempts > 0 || Date.now() - kindsFetchedAt < 10000)) return
    kindsLoading = true
    const version = liveVersion
    try {
      const res = await fetch(apiUrl, { headers: { Accept: 'application/json' }, credentials: 'same-origin' })
      if (!res.ok) {
        // 4xx (signed out, no longer a member, charter gone): asking again will not help
        if (res.status >= 400 && res.status < 500) kindsAttempts = 5
        throw new Error(`HTTP ${res.status}`)
      }
      const data = await res.json()
      const clauses = Array.isArray(data && data.clauses) ? data.clauses.filter((c) => c && typeof c.id === 'string') : []
      for (const c of clauses) {
        kinds.set(c.id, String(c.kind))
        serverTexts.set(c.id, { title: String(c.title ?? ''), body: String(c.body ?? '') })
      }
      // a charter event that came meanwhile is newer than this answer: keep the event's state
      if (version === liveVersion) {
        frozen.clear()
        for (const c of clauses) if (c.frozen === true) frozen.add(c.id)
        if (data && typeof data.phase === 'string') setPhase(data.phase)
      }
      kindsFetchedAt = Date.now()
      kindsAttempts = 0
      kindsLoading = false
      render()
      showStatus()
      showUnsaved()
      if (kindsAgain) { kindsAgain = false; refreshKinds(true) }
    } catch (err) {
      kindsLoading = false
      kindsAgain = false // the retry below asks again anyway
      if (++kindsAttempts <= 5) setTimeout(() => refreshKinds(true), 1000 * 2 ** kindsAttempts)
      else console.warn('charter-drafts: could not load clause kinds', err)
    }
  }

  // ------------------------------------------------------------- access and live events (SSE)

  /** The charter's phase (from the API or an event): badge, then who may edit. */
  function setPhase (next) {
    phase = next
    const label = PHASE_LABELS[next] ? t(PHASE_LABELS[next]) : next
    if (phaseBadge && phaseBadge.textContent !== label) phaseBadge.textContent = label
    updateAccess()
  }

  /** The user's role ('' if none): badge, then who may edit. */
  function setRole (next) {
    role = next
    const label = ROLE_LABELS[next] ? t(ROLE_LABELS[next]) : next
    if (roleBadge && roleBadge.textContent !== label) roleBadge.textContent = label // '' hides it
    updateAccess()
  }

  /** Editors and the secretariat edit while drafting (the server's rule; it has the last word). */
  function updateAccess () {
    if (removed) canEdit = false
    else if (phase === null) canEdit = pageCanEdit && EDITING_ROLES.has(role)
    else canEdit = EDITING_ROLES.has(role) && phase === DRAFTING
    if (deliberation) deliberation.refresh()
  }

  /** `{type: "charter", phase, frozen: [clause ids]}`: the phase or the frozen clauses changed. */
  function onCharterEvent (data) {
    if (typeof data.phase !== 'string') return
    liveVersion++
    if (Array.isArray(data.frozen)) {
      frozen.clear()
      for (const id of data.frozen) if (typeof id === 'string') frozen.add(id)
    }
    setPhase(data.phase)
    render() // frozen badges; read-only or editable fields (applyWritable)
    applyWritable() // also before the first sync (render waits for it)
    showStatus()
  }

  /** `{type: "membership", user_id, role}` (role null: removed); only ours matters here. */
  function onMembershipEvent (data) {
    if (!userId || String(data.user_id) !== userId) return
    if (typeof data.role === 'string' && data.role !== '') {
      setRole(data.role)
    } else {
      removed = true // the server also ends this stream and closes the websocket (4403)
      stopEvents()
      setRole('')
    }
    applyWritable()
    showStatus()
  }

  /** @type {EventSource | null} */
  let events = null

  /** Follow the charter's events; EventSource reconnects by itself after network errors. */
  function listen () {
    if (!eventsUrl || removed || events || typeof EventSource === 'undefined') return
    const source = new EventSource(eventsUrl) // same origin: the session cookie goes along
    events = source
    const on = (type, handle) => source.addEventListener(type, (e) => {
      if (events !== source) return
      let data = null
      try { data = JSON.parse(e.data) } catch (_) {}
      if (data && typeof data === 'object') handle(data)
    })
    on('charter', onCharterEvent)
    on('membership', onMembershipEvent)
    if (deliberation) {
      on('comment', (data) => deliberation.onEvent(data))
      on('amendment', (data) => deliberation.onEvent(data))
    }
    let opened = false
    source.addEventListener('open', () => {
      // (re)connected: what changed before (or while away) came as no event; ask the API
      if (events !== source) return
      refreshKinds(true)
      if (opened && deliberation) deliberation.reload() // the first load is asked at start
      opened = true
    })
    source.addEventListener('error', () => {
      // CLOSED: refused (signed out, not a member) or not an event stream; EventSource gives up
      // and so do we (no loop): the websocket and the API re-reads still tell what changed
      if (events === source && source.readyState === EventSource.CLOSED) {
        events = null
        console.warn('charter-drafts: the live events stream was refused; changes show on the next refusal or reconnection')
      }
    })
  }

  function stopEvents () {
    if (events) { events.close(); events = null }
  }

  // ------------------------------------------------------------------------ page lifecycle

  // leaving the page: say goodbye (awareness) instead of lingering until a timeout
  let eventsPaused = false
  addEventListener('pagehide', () => {
    if (session) session.provider.disconnect()
    eventsPaused = events !== null
    stopEvents()
  })
  addEventListener('pageshow', (e) => {
    if (!e.persisted) return
    if (session) session.provider.connect()
    if (eventsPaused) listen()
  })

  refreshKinds(true)
  if (deliberation) deliberation.reload()
  listen()
  session = connect()
  showStatus()
  renderPresence()
}

// ------------------------------------------------------------------------------- helpers

/**
 * Reorder `list`'s children to `wanted` (removing anything else), never moving the row that
 * holds the focus: detaching a focused element would blur it.
 */
function placeRows (list, wanted) {
  const keep = new Set(wanted)
  for (const node of Array.from(list.childNodes)) if (!keep.has(node)) node.remove()
  const active = document.activeElement
  const focused = wanted.find((li) => li.contains(active) && li.parentNode === list)
  let cursor = list.firstChild
  for (const li of wanted) {
    if (li === focused) { cursor = li.nextSibling; continue }
    if (li === cursor) { cursor = cursor.nextSibling; continue }
    list.insertBefore(li, cursor)
  }
}

/**
 * Read a y-protocols auth message without consuming it: permission denied is
 * varUint(0) + varString(reason). Returns the reason, or null if it is not a refusal.
 * @param {{arr: Uint8Array, pos: number}} decoder  a lib0 decoder positioned after the type
 */
function peekPermissionDenied (decoder) {
  const arr = decoder && decoder.arr
  if (!(arr instanceof Uint8Array) || typeof decoder.pos !== 'number') return '' // unknown shape
  let pos = decoder.pos
  const readVarUint = () => {
    let num = 0
    let mult = 1
    while (pos < arr.length) {
      const byte = arr[pos++]
      num += (byte & 0x7f) * mult
      if (byte < 0x80) return num
      mult *= 128
      if (mult > Number.MAX_SAFE_INTEGER) break
    }
    throw new RangeError('bad varUint')
  }
  try {
    if (readVarUint() !== 0) return null
    const len = readVarUint()
    return new TextDecoder().decode(arr.subarray(pos, Math.min(arr.length, pos + len)))
  } catch (_) {
    return ''
  }
}

/** The server's refusal without its "update refused:" prefix (our message already says so). */
function refusalReason (reason) {
  return String(reason).replace(/^\s*(update refused|modification refusée)\s*:\s*/i, '')
}

/** document.createElement with attributes. */
function el (tag, attrs = {}) {
  const node = document.createElement(tag)
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v)
  return node
}
