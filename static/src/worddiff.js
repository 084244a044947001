// A word-level diff of two texts (longest common subsequence of words and the spaces between),
// for the amendment form's live preview: what the proposal deletes and inserts.
//
//   wordDiff('No town is alone', 'No city is alone')
//   // [{op: 'same', text: 'No '}, {op: 'del', text: 'town'}, {op: 'ins', text: 'city'},
//   //  {op: 'same', text: ' is alone'}]

/** Past this many word pairs the table is not built: the middle is shown as replaced whole. */
const MAX_CELLS = 4_000_000

/**
 * Words and the runs of white space between them, in order (joined, they are the text).
 * @param {string} text
 * @returns {string[]}
 */
export function tokens (text) {
  return String(text).match(/\s+|[^\s]+/g) || []
}

/**
 * @typedef {{op: 'same'|'del'|'ins', text: string}} Part
 */

/**
 * The changes from `before` to `after`, word by word; neighbouring parts of one kind merged.
 * @param {string} before
 * @param {string} after
 * @returns {Part[]}
 */
export function wordDiff (before, after) {
  const a = tokens(before)
  const b = tokens(after)
  // the common start and end need no table
  let start = 0
  while (start < a.length && start < b.length && a[start] === b[start]) start++
  let endA = a.length
  let endB = b.length
  while (endA > start && endB > start && a[endA - 1] === b[endB - 1]) { endA--; endB-- }
  /** @type {Part[]} */
  const parts = []
  for (let i = 0; i < start; i++) push(parts, 'same', a[i])
  const midA = a.slice(start, endA)
  const midB = b.slice(start, endB)
  if (midA.length * midB.length > MAX_CELLS) {
    for (const w of midA) push(parts, 'del', w)
    for (const w of midB) push(parts, 'ins', w)
  } else {
    for (const part of middle(midA, midB)) push(parts, part.op, part.text)
  }
  for (let i = endA; i < a.length; i++) push(parts, 'same', a[i])
  return parts
}

/** The LCS table, walked from the start: deletions before insertions at each change. */
function middle (a, b) {
  const n = a.length
  const m = b.length
  const width = m + 1
  // lengths[i * width + j]: the longest common subsequence of a[i:] and b[j:]
  const lengths = new Uint32Array((n + 1) * width)
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      lengths[i * width + j] = a[i] === b[j]
        ? lengths[(i + 1) * width + j + 1] + 1
        : Math.max(lengths[(i + 1) * width + j], lengths[i * width + j + 1])
    }
  }
  const out = []
  let i = 0
  let j = 0
  while (i < n && j < m) {
    if (a[i] === b[j]) {
      out.push({ op: 'same', text: a[i] }); i++; j++
    } else if (lengths[(i + 1) * width + j] >= lengths[i * width + j + 1]) {
      out.push({ op: 'del', text: a[i] }); i++
    } else {
      out.push({ op: 'ins', text: b[j] }); j++
    }
  }
  while (i < n) out.push({ op: 'del', text: a[i++] })
  while (j < m) out.push({ op: 'ins', text: b[j++] })
  return out
}

function push (parts, op, text) {
  const last = parts[parts.length - 1]
  if (last && last.op === op) last.text += text
  else parts.push({ op, text })
}

/**
 * The diff as DOM: `<del>` and `<ins>` around the changes, text nodes for the rest (text only,
 * never HTML).
 * @param {Part[]} parts
 * @param {Document} [doc]
 * @returns {Node[]}
 */
export function diffNodes (parts, doc = document) {
  return parts.map((part) => {
    if (part.op === 'same') return doc.createTextNode(part.text)
    const node = doc.createElement(part.op)
    node.textContent = part.text
    return node
  })
}
