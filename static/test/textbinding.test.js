// Unit tests for the pure parts of the text binding: `npm test` (node --test), no browser needed.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import * as Y from 'yjs'
import { diffText, transformPosition } from '../src/textbinding.js'

const apply = (s, { index, remove, insert }) => s.slice(0, index) + insert + s.slice(index + remove)

test('diffText: single-span change', () => {
  assert.deepEqual(diffText('abc', 'abXc', 3), { index: 2, remove: 0, insert: 'X' })
  assert.deepEqual(diffText('abc', 'ac', 1), { index: 1, remove: 1, insert: '' })
  assert.deepEqual(diffText('hello world', 'hello there', 11), { index: 6, remove: 5, insert: 'there' })
  assert.equal(apply('same', diffText('same', 'same', 2)), 'same')
})

test('diffText: the caret disambiguates repeated characters', () => {
  assert.deepEqual(diffText('aa', 'aaa', 2), { index: 1, remove: 0, insert: 'a' })
  assert.deepEqual(diffText('aa', 'aaa', 1), { index: 0, remove: 0, insert: 'a' })
  assert.deepEqual(diffText('aaa', 'aa', 1), { index: 1, remove: 1, insert: '' })
  assert.deepEqual(diffText('aa', 'aaa'), { index: 2, remove: 0, insert: 'a' })
})

test('diffText: never splits a surrogate pair', () => {
  const d = diffText('a\u{1F600}b', 'a\u{1F601}b', 3)
  assert.deepEqual(d, { index: 1, remove: 2, insert: '\u{1F601}' })
  const e = diffText('\u{1F600}', '\u{1F600}\u{1F600}', 4)
  assert.equal(apply('\u{1F600}', e), '\u{1F600}\u{1F600}')
  assert.equal(e.index % 2, 0)
})

test('diffText: random edits round-trip', () => {
  const alphabet = 'ab \n\u{1F600}'
  const rnd = (n) => Math.floor(Math.random() * n)
  const word = (n) => Array.from({ length: n }, () => [...alphabet][rnd(5)]).join('')
  for (let i = 0; i < 2000; i++) {
    const prev = word(rnd(8))
    const next = word(rnd(8))
    const d = diffText(prev, next, rnd(next.length + 1))
    assert.equal(apply(prev, d), next, JSON.stringify({ prev, next, d }))
  }
})

test('transformPosition agrees with Yjs relative positions', () => {
  const rnd = (n) => Math.floor(Math.random() * n)
  for (let i = 0; i < 500; i++) {
    const doc = new Y.Doc()
    const text = doc.getText('t')
    text.insert(0, 'abcdefghij'.slice(0, 3 + rnd(8)))
    const pos = rnd(text.length + 1)
    // assoc 0 (right) in Yjs == our assoc > 0; -1 (left) == ours < 0
    const assoc = rnd(2) === 0 ? -1 : 1
    const rel = Y.createRelativePositionFromTypeIndex(text, pos, assoc > 0 ? 0 : -1)
    let delta = null
    text.observe((e) => { delta = e.delta })
    doc.transact(() => {
      for (let k = 0; k < 1 + rnd(3); k++) {
        if (rnd(2) === 0 && text.length > 0) {
          const at = rnd(text.length)
          text.delete(at, 1 + rnd(Math.min(3, text.length - at)))
        } else {
          text.insert(rnd(text.length + 1), 'XY'.slice(0, 1 + rnd(2)))
        }
      }
    })
    if (!delta) continue
    const expected = Y.createAbsolutePositionFromRelativePosition(rel, doc).index
    assert.equal(transformPosition(pos, delta, assoc), expected, JSON.stringify({ pos, assoc, delta }))
  }
})
