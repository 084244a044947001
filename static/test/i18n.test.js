// Every string of the client exists in English and in French, with the same placeholders.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { STRINGS } from '../src/i18n.js'

const placeholders = (s) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort()

test('English and French have the same keys', () => {
  assert.deepEqual(Object.keys(STRINGS.fr).sort(), Object.keys(STRINGS.en).sort())
})

test('each translation keeps the placeholders and says something', () => {
  for (const [key, en] of Object.entries(STRINGS.en)) {
    const fr = STRINGS.fr[key]
    assert.ok(en.trim() && fr.trim(), key)
    assert.deepEqual(placeholders(fr), placeholders(en), key)
  }
})
