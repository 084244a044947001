// The charter's JSON API from the page: the session cookie goes along, and every write carries
// the session's CSRF token (X-CSRF-Token, from the page's data-csrf).

/**
 * @param {string} base  the charter's API address (data-api-url)
 * @param {string} csrf  the session's CSRF token (data-csrf)
 */
export function createApi (base, csrf) {
  /**
   * @param {string} method
   * @param {string} path  after the charter's address, e.g. "/comments?clause=x"
   * @param {object} [body]
   * @returns {Promise<{ok: boolean, status: number, data: any}>}
   *   `data.message` says why when not ok (the server's error shape, or a network failure)
   */
  async function call (method, path, body) {
    const headers = { Accept: 'application/json' }
    if (method !== 'GET') headers['X-CSRF-Token'] = csrf
    if (body !== undefined) headers['Content-Type'] = 'application/json'
    let res
    try {
      res = await fetch(base + path, {
        method,
        headers,
        credentials: 'same-origin',
        body: body === undefined ? undefined : JSON.stringify(body)
      })
    } catch (err) {
      return { ok: false, status: 0, data: { message: String(err && err.message ? err.message : err) } }
    }
    let data = null
    if (res.status !== 204) {
      try { data = await res.json() } catch (_) { data = null }
    }
    if (!res.ok && !(data && typeof data.message === 'string')) data = { message: `HTTP ${res.status}` }
    return { ok: res.ok, status: res.status, data }
  }
  return {
    get: (path) => call('GET', path),
    post: (path, body) => call('POST', path, body ?? {}),
    patch: (path, body) => call('PATCH', path, body),
    delete: (path) => call('DELETE', path)
  }
}
