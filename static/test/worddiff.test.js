// The amendment form's word diff: changes word by word, the rest untouched.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { tokens, wordDiff } from '../src/worddiff.js'

const joined = (parts, ops) => parts.filter((p) => ops.includes(p.op)).map((p) => p.text).join('')

test('one word replaced', () => {
  assert.deepEqual(wordDiff('No town is alone', 'No city is alone'), [
    { op: 'same', text: 'No ' },
    { op: 'del', text: 'town' },
    { op: 'ins', text: 'city' },
    { op: 'same', text: ' is alone' }
  ])
})

test('both texts can be read back from the parts', () => {
  const before = 'Cities welcome newcomers as residents from their first day.'
  const after = 'Our cities welcome every newcomer as a resident from the first day on.'
  const parts = wordDiff(before, after)
  assert.equal(joined(parts, ['same', 'del']), before)
  assert.equal(joined(parts, ['same', 'ins']), after)
  assert.ok(parts.some((p) => p.op === 'ins' && p.text.includes('Our')))
})

test('insertions, deletions, equal and empty texts', () => {
  assert.deepEqual(wordDiff('', 'new words'), [{ op: 'ins', text: 'new words' }])
  assert.deepEqual(wordDiff('old words', ''), [{ op: 'del', text: 'old words' }])
  assert.deepEqual(wordDiff('same', 'same'), [{ op: 'same', text: 'same' }])
  assert.deepEqual(wordDiff('', ''), [])
  assert.deepEqual(wordDiff('a c', 'a b c').filter((p) => p.op !== 'same'), [{ op: 'ins', text: 'b ' }])
})

test('words keep their punctuation and line breaks are white space', () => {
  assert.deepEqual(tokens('one,  two\nthree'), ['one,', '  ', 'two', '\n', 'three'])
})

test('a long text is compared quickly enough and still reads back', () => {
  const words = Array.from({ length: 3000 }, (_, i) => `w${i % 97}`)
  const before = words.join(' ')
  const after = words.map((w, i) => (i % 50 === 0 ? 'changed' : w)).join(' ')
  const parts = wordDiff(before, after)
  assert.equal(joined(parts, ['same', 'del']), before)
  assert.equal(joined(parts, ['same', 'ins']), after)
})
