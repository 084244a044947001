// Tiny i18n table: every user-visible string of the client lives here.
// The language comes from <html lang="…"> (e.g. "fr", "fr-BE"); English is the fallback.

const STRINGS = {
  en: {
    titleLabel: '{clause}, title',
    bodyLabel: '{clause}, body',
    titlePlaceholder: 'Title of the clause',
    bodyPlaceholder: 'The clause has no text yet.',
    offline: 'Offline, reconnecting…',
    retry: 'Attempt {attempt}, next try in {delay}.',
    waitingOne: '{n} local edit waiting, kept in this browser; it is sent when the connection is back.',
    waitingOther: '{n} local edits waiting, kept in this browser; they are sent when the connection is back.',
    lastSynced: 'Last up to date at {time}.',
    deniedOffline: 'The server refused edits made in this browser while it was offline (or before it was last closed). They are not saved: copy your text below, then reload the latest text, which discards them.',
    unsavedLabel: 'Your text that the server did not accept',
    copyText: 'Copy this text',
    copied: 'Copied.',
    copyFailed: 'Copying failed: select the text and copy it yourself.',
    readOnlyRole: 'Read-only: your role lets you read, select and copy the text, not edit it.',
    readOnlyPhase: 'Read-only: the text cannot be edited in the current phase.',
    readOnlyFrozen: 'Read-only: this clause is frozen.',
    readOnlyPaused: 'Read-only until you reload the latest text.',
    readOnlyOffline: 'Read-only until the live text has loaded.',
    searchLabel: 'Search the clauses',
    searchPrevious: 'Previous',
    searchNext: 'Next',
    searchNone: 'No match',
    searchCount: 'Match {n} of {total}',
    connecting: 'Connecting…',
    syncing: 'Connected, loading the latest text…',
    synced: 'Connected and up to date. Your edits are shared live.',
    paused: 'Connected. Editing is paused until you reload the latest text.',
    closed: 'The server closed the connection: {reason}',
    denied: 'The server refused a change: {reason}',
    deniedHelp: 'Your latest edits were not saved. Copy anything you want to keep, then reload the latest text.',
    noReason: 'no reason given',
    reload: 'Reload the latest text',
    preamble: 'Preamble',
    clause: 'Clause {n}',
    history: 'History',
    historyOf: 'History of {clause}',
    editing: 'Editing now: {names}',
    hereNow: 'Here now:',
    you: '{name} (you)',
    guest: 'Guest {n}',
    empty: 'This charter has no clauses yet.',
    unsafeField: 'This text contains characters that this editor cannot change safely, so it is read-only here.',
    syncedReadOnlyRole: 'Connected and up to date. You can follow the draft live; your role does not allow editing it.',
    syncedReadOnlyPhase: 'Connected and up to date. You can follow the draft live; it cannot be edited in the current phase.',
    frozen: 'Frozen',
    frozenHelp: 'This clause is frozen: no one can change it for now.',
    signedOut: 'Your session has ended, so the live text has stopped.',
    signInAgain: 'Sign in again',
    forbidden: 'You no longer have access to this charter: {reason}',
    notFound: 'This charter does not exist, or no longer exists.',
    allCharters: 'See all charters',
    removed: 'You are no longer a member of this charter, so the live text has stopped.',
    unsaved: 'Your latest edits were not saved: copy anything you want to keep before you leave this page.',
    phaseDrafting: 'Drafting',
    phaseConsultation: 'Consultation',
    phaseClosed: 'Closed',
    roleSecretariat: 'Secretariat',
    roleEditor: 'Editor',
    roleCommenter: 'Commenter',
    roleObserver: 'Observer'
  },
  fr: {
    titleLabel: '{clause}, titre',
    bodyLabel: '{clause}, texte',
    titlePlaceholder: 'Titre de l’article',
    bodyPlaceholder: 'L’article n’a pas encore de texte.',
    offline: 'Hors ligne, reconnexion…',
    retry: 'Tentative {attempt}, prochain essai dans {delay}.',
    waitingOne: '{n} modification locale en attente, conservée dans ce navigateur ; elle sera envoyée au retour de la connexion.',
    waitingOther: '{n} modifications locales en attente, conservées dans ce navigateur ; elles seront envoyées au retour de la connexion.',
    lastSynced: 'Dernière mise à jour à {time}.',
    deniedOffline: 'Le serveur a refusé des modifications faites dans ce navigateur hors connexion (ou avant sa dernière fermeture). Elles ne sont pas enregistrées : copiez votre texte ci-dessous, puis rechargez le texte le plus récent, ce qui les abandonne.',
    unsavedLabel: 'Votre texte que le serveur n’a pas accepté',
    copyText: 'Copier ce texte',
    copied: 'Copié.',
    copyFailed: 'La copie a échoué : sélectionnez le texte et copiez-le vous-même.',
    readOnlyRole: 'Lecture seule : votre rôle permet de lire, sélectionner et copier le texte, pas de le modifier.',
    readOnlyPhase: 'Lecture seule : le texte ne peut pas être modifié dans la phase actuelle.',
    readOnlyFrozen: 'Lecture seule : cet article est figé.',
    readOnlyPaused: 'Lecture seule jusqu’au rechargement du texte le plus récent.',
    readOnlyOffline: 'Lecture seule jusqu’au chargement du texte en direct.',
    searchLabel: 'Rechercher dans les articles',
    searchPrevious: 'Précédent',
    searchNext: 'Suivant',
    searchNone: 'Aucun résultat',
    searchCount: 'Résultat {n} sur {total}',
    connecting: 'Connexion…',
    syncing: 'Connecté, chargement du texte le plus récent…',
    synced: 'Connecté et à jour. Vos modifications sont partagées en direct.',
    paused: 'Connecté. La modification est suspendue jusqu’au rechargement du texte le plus récent.',
    closed: 'Le serveur a fermé la connexion : {reason}',
    denied: 'Le serveur a refusé une modification : {reason}',
    deniedHelp: 'Vos dernières modifications n’ont pas été enregistrées. Copiez ce que vous voulez garder, puis rechargez le texte le plus récent.',
    noReason: 'aucune raison indiquée',
    reload: 'Recharger le texte le plus récent',
    preamble: 'Préambule',
    clause: 'Article {n}',
    history: 'Historique',
    historyOf: 'Historique de {clause}',
    editing: 'En cours de modification par : {names}',
    hereNow: 'Présents :',
    you: '{name} (vous)',
    guest: 'Invité {n}',
    empty: 'Cette charte ne contient encore aucun article.',
    unsafeField: 'Ce texte contient des caractères que cet éditeur ne peut pas modifier sans risque ; il est en lecture seule ici.',
    syncedReadOnlyRole: 'Connecté et à jour. Vous pouvez suivre le texte en direct ; votre rôle ne permet pas de le modifier.',
    syncedReadOnlyPhase: 'Connecté et à jour. Vous pouvez suivre le texte en direct ; il ne peut pas être modifié dans la phase actuelle.',
    frozen: 'Figé',
    frozenHelp: 'Cet article est figé : personne ne peut le modifier pour le moment.',
    signedOut: 'Votre session a pris fin : le texte en direct s’est arrêté.',
    signInAgain: 'Se reconnecter',
    forbidden: 'Vous n’avez plus accès à cette charte : {reason}',
    notFound: 'Cette charte n’existe pas, ou n’existe plus.',
    allCharters: 'Voir toutes les chartes',
    removed: 'Vous n’êtes plus membre de cette charte : le texte en direct s’est arrêté.',
    unsaved: 'Vos dernières modifications n’ont pas été enregistrées : copiez ce que vous voulez garder avant de quitter cette page.',
    phaseDrafting: 'Rédaction',
    phaseConsultation: 'Consultation',
    phaseClosed: 'Close',
    roleSecretariat: 'Secrétariat',
    roleEditor: 'Rédacteur·rice',
    roleCommenter: 'Commentateur·rice',
    roleObserver: 'Observateur·rice'
  }
}

/** @returns {'en'|'fr'} */
export function pickLanguage (lang) {
  const primary = String(lang || '').trim().toLowerCase().split(/[-_]/)[0]
  return Object.prototype.hasOwnProperty.call(STRINGS, primary) ? primary : 'en'
}

export const lang = pickLanguage(typeof document !== 'undefined' ? document.documentElement.lang : 'en')

/**
 * Translate `key`, replacing {placeholders} from `params`.
 * @param {string} key
 * @param {Record<string, string|number>} [params]
 */
export function t (key, params = {}) {
  const table = STRINGS[lang]
  const template = table[key] ?? STRINGS.en[key] ?? key
  return template.replace(/\{(\w+)\}/g, (m, name) =>
    Object.prototype.hasOwnProperty.call(params, name) ? String(params[name]) : m)
}

/** A number in the page's language (1,234 / 1 234). */
export function formatNumber (n) {
  return new Intl.NumberFormat(lang).format(n)
}

/** A duration in seconds, e.g. "3 s" / "3 s", in the page's language. */
export function formatSeconds (seconds) {
  return new Intl.NumberFormat(lang, { style: 'unit', unit: 'second', unitDisplay: 'short', maximumFractionDigits: 0 }).format(seconds)
}

/** A time of day (hours and minutes) in the page's language. */
export function formatTime (date) {
  return new Intl.DateTimeFormat(lang, { hour: 'numeric', minute: '2-digit' }).format(date)
}

/** `keyOne` or `keyOther` by the language's plural rules, with {n} localised. */
export function plural (key, n, params = {}) {
  const form = new Intl.PluralRules(lang).select(n) === 'one' ? 'One' : 'Other'
  return t(key + form, { ...params, n: formatNumber(n) })
}
