// The forms of a clause's discussion panel: a comment (anchored to selected words or on the
// whole clause), a reply, an edit, the secretariat's reason to hide, and an amendment with a live
// word diff against the clause's current text. Each form says what went wrong in an alert and
// hands what was typed to `send`, which answers with the server's refusal message, if any.

import { t } from './i18n.js'
import { diffNodes, wordDiff } from './worddiff.js'

let seq = 0

/**
 * @typedef {{element: HTMLFormElement, focus: () => void}} PanelForm
 * @typedef {(values: Record<string, string>) => Promise<string | null>} Send  the error, or null
 */

/**
 * A comment, reply or edit: one text area.
 * @param {object} o
 * @param {string} o.heading  what the form is for ("Comment on the selected words")
 * @param {string} [o.quote]  the words commented on, shown as a quotation
 * @param {string} [o.value]  the text to start from (an edit)
 * @param {string} o.label  the text area's label
 * @param {string} o.submit  the send button's text
 * @param {Send} o.send
 * @param {() => void} o.cancel
 * @returns {PanelForm}
 */
export function textForm (o) {
  const { form, fields, error } = shell('comment-form', o.heading, o.submit, o.send, o.cancel, () => ({ body: area.value }))
  if (o.quote) {
    const quote = el('blockquote', 'comment-quote')
    quote.textContent = o.quote
    fields.append(quote)
  }
  const { wrap, control: area } = labelled('textarea', o.label, { rows: '4', required: '', name: 'body' })
  area.value = o.value || ''
  const hint = el('p', 'hint')
  hint.id = `${area.id}-hint`
  hint.textContent = t('markdownHint')
  area.setAttribute('aria-describedby', hint.id)
  wrap.append(hint)
  fields.append(wrap)
  void error
  return { element: form, focus: () => area.focus() }
}

/**
 * The secretariat hides a comment, with its reason (shown to the author, kept in the report).
 * @param {{send: Send, cancel: () => void}} o
 * @returns {PanelForm}
 */
export function hideForm (o) {
  const { form, fields } = shell('hide-form', t('hideHeading'), t('hide'), o.send, o.cancel, () => ({ reason: input.value }))
  const { wrap, control: input } = labelled('input', t('hideReason'), { type: 'text', required: '', name: 'reason' })
  fields.append(wrap)
  return { element: form, focus: () => input.focus() }
}

/**
 * An amendment: its kind, the new title and body (from the clause's current text, the selected
 * words selected), the rationale, and the changes against the current text as they are typed.
 * @param {object} o
 * @param {string} o.title  the clause's current title
 * @param {string} o.body  its current body
 * @param {{from: number, to: number} | null} o.selected  the words selected in the body, if any
 * @param {Send} o.send  given kind, title, body, rationale
 * @param {() => void} o.cancel
 * @returns {PanelForm}
 */
export function amendmentForm (o) {
  const { form, fields } = shell('amendment-form', t('proposeHeading'), t('proposeSend'), o.send, o.cancel, values)
  const { wrap: kindWrap, control: kind } = labelled('select', t('amendmentKind'), { name: 'kind' })
  for (const [value, key] of [['replace', 'kindReplace'], ['insert_after', 'kindInsertAfter'], ['delete', 'kindDelete']]) {
    const option = el('option')
    option.value = value
    option.textContent = t(key)
    kind.append(option)
  }
  const { wrap: titleWrap, control: title } = labelled('input', t('amendmentTitle'), { type: 'text', name: 'title' })
  const { wrap: bodyWrap, control: body } = labelled('textarea', t('amendmentBody'), { rows: '6', name: 'body' })
  const { wrap: whyWrap, control: rationale } = labelled('textarea', t('rationale'), { rows: '3', required: '', name: 'rationale' })
  const previewHeading = el('p', 'preview-heading')
  previewHeading.id = `cd-form-${++seq}-preview`
  previewHeading.textContent = t('previewHeading')
  const preview = el('div', 'preview diff')
  preview.setAttribute('aria-labelledby', previewHeading.id)
  fields.append(kindWrap, titleWrap, bodyWrap, previewHeading, preview, whyWrap)

  let kept = { title: o.title, body: o.body } // what was typed for a replacement or a new clause
  function showKind () {
    const k = kind.value
    title.disabled = body.disabled = k === 'delete'
    titleWrap.hidden = bodyWrap.hidden = k === 'delete'
    showPreview()
  }
  function showPreview () {
    const k = kind.value
    const parts = []
    if (k === 'delete') {
      const p = el('p', 'proposal')
      p.textContent = t('deletesClause')
      parts.push(p)
    } else {
      const base = k === 'insert_after' ? { title: '', body: '' } : { title: o.title, body: o.body }
      for (const [field, value] of [['title', title.value], ['body', body.value]]) {
        const diff = wordDiff(base[field], value)
        if (!diff.some((d) => d.op !== 'same')) continue
        const p = el('p', `diff-${field}`)
        p.append(...diffNodes(diff))
        parts.push(p)
      }
      if (parts.length === 0) {
        const p = el('p', 'no-change')
        p.textContent = t('noChange')
        parts.push(p)
      }
    }
    preview.replaceChildren(...parts)
  }
  kind.addEventListener('change', () => {
    // a new clause starts empty; back to a replacement, the clause's text comes back
    if (kind.value === 'insert_after' && title.value === o.title && body.value === o.body) {
      kept = { title: title.value, body: body.value }
      title.value = ''
      body.value = ''
    } else if (kind.value === 'replace' && title.value === '' && body.value === '') {
      title.value = kept.title
      body.value = kept.body
    }
    showKind()
  })
  title.addEventListener('input', showPreview)
  body.addEventListener('input', showPreview)
  title.value = o.title
  body.value = o.body
  showKind()

  function values () {
    const k = kind.value
    const out = { kind: k, rationale: rationale.value }
    if (k !== 'delete') Object.assign(out, { title: title.value, body: body.value })
    return out
  }
  return {
    element: form,
    focus () {
      if (o.selected && o.selected.to > o.selected.from) {
        body.focus()
        body.setSelectionRange(o.selected.from, o.selected.to)
      } else {
        kind.focus()
      }
    }
  }
}

function shell (className, heading, submitText, send, cancel, values) {
  const form = el('form', `panel-form ${className}`)
  const id = `cd-form-${++seq}`
  form.setAttribute('aria-labelledby', `${id}-heading`)
  const h = el('h4')
  h.id = `${id}-heading`
  h.textContent = heading
  const fields = el('div', 'form-fields')
  const error = el('p', 'error')
  error.setAttribute('role', 'alert')
  error.hidden = true
  const buttons = el('div', 'form-buttons')
  const submit = el('button', 'send')
  submit.type = 'submit'
  submit.textContent = submitText
  const cancelButton = el('button', 'cancel')
  cancelButton.type = 'button'
  cancelButton.textContent = t('cancel')
  cancelButton.addEventListener('click', () => cancel())
  buttons.append(submit, cancelButton)
  form.append(h, fields, error, buttons)
  form.addEventListener('keydown', (e) => { if (e.key === 'Escape') cancel() })
  form.addEventListener('submit', async (e) => {
    e.preventDefault()
    submit.disabled = true
    error.hidden = true
    const refused = await send(values())
    submit.disabled = false
    if (refused !== null) {
      error.textContent = refused
      error.hidden = false
    }
  })
  return { form, fields, error }
}

function labelled (tag, text, attrs) {
  const wrap = el('p', 'field-row')
  const control = el(tag)
  control.id = `cd-form-${++seq}-${attrs.name}`
  for (const [k, v] of Object.entries(attrs)) control.setAttribute(k, v)
  const label = el('label')
  label.htmlFor = control.id
  label.textContent = text
  wrap.append(label, control)
  return { wrap, control }
}

function el (tag, className) {
  const node = document.createElement(tag)
  if (className) node.className = className
  return node
}
