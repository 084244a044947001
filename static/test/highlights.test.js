// Anchored ranges follow edits made before, inside and after them, local or remote.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import * as Y from 'yjs'
import { Highlights, anchorRange, resolveRange } from '../src/highlights.js'

function textOf (content) {
  const doc = new Y.Doc()
  const ytext = doc.getText('t')
  ytext.insert(0, content)
  return ytext
}

test('a range follows text inserted before it and inside it', () => {
  const ytext = textOf('the city of Lampedusa')
  const range = anchorRange(ytext, 4, 8, 'mark') // "city"
  ytext.insert(0, 'In ')
  assert.deepEqual(resolveRange(range, ytext), { from: 7, to: 11 })
  ytext.insert(9, 'XX') // inside: "ciXXty"
  assert.deepEqual(resolveRange(range, ytext), { from: 7, to: 13 })
})

test('text typed at either edge stays outside the range', () => {
  const ytext = textOf('abc city def')
  const range = anchorRange(ytext, 4, 8, 'mark')
  ytext.insert(8, '!')
  ytext.insert(4, '>')
  const at = resolveRange(range, ytext)
  assert.equal(ytext.toString().slice(at.from, at.to), 'city')
})

test('a range whose text is deleted is gone; one from another text is not resolved here', () => {
  const ytext = textOf('abc city def')
  const other = ytext.doc.getText('other')
  other.insert(0, 'elsewhere')
  const range = anchorRange(ytext, 4, 8, 'mark')
  assert.equal(resolveRange(range, other), null)
  ytext.delete(3, 6)
  assert.equal(resolveRange(range, ytext), null)
})

test('a range follows a remote edit merged from another document', () => {
  const a = textOf('shared text')
  const b = new Y.Doc()
  Y.applyUpdate(b, Y.encodeStateAsUpdate(a.doc))
  const range = anchorRange(a, 7, 11, 'mark') // "text"
  b.getText('t').insert(0, 'our ')
  Y.applyUpdate(a.doc, Y.encodeStateAsUpdate(b, Y.encodeStateVector(a.doc)))
  const at = resolveRange(range, a)
  assert.equal(a.toString().slice(at.from, at.to), 'text')
})

test('layers are replaced as a whole and listeners are told', () => {
  const ytext = textOf('one two one')
  const highlights = new Highlights()
  let told = 0
  const stop = highlights.subscribe(() => told++)
  highlights.set('search', [anchorRange(ytext, 0, 3, 'm'), anchorRange(ytext, 8, 11, 'm')])
  highlights.set('comments', [anchorRange(ytext, 4, 7, 'c')])
  assert.deepEqual(highlights.rangesIn(ytext).map((r) => [r.from, r.to, r.className]),
    [[0, 3, 'm'], [4, 7, 'c'], [8, 11, 'm']])
  highlights.clear('search')
  assert.deepEqual(highlights.rangesIn(ytext).map((r) => r.from), [4])
  stop()
  highlights.clear('comments')
  assert.equal(told, 3)
})
