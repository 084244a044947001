// A version's public list of endorsers, kept current without a reload.
//
// The server renders the list (escaped, translated) inside `.live-endorsers`, whose data
// attributes name the charter's public event stream and the page to re-read the list from. When
// the stream says this version's endorsers changed, the list is re-read and swapped in; when it
// says a version was published, a notice links to it. The text of both notices comes from the
// server in the page's language. Nothing from the stream is put into the page as markup.

const RETRY_FIRST_MS = 1000;
const RETRY_LAST_MS = 60000;

/** Replace the list inside `holder` with the one on the endorsers page, as the server wrote it. */
async function refresh(holder) {
  const answer = await fetch(holder.dataset.refresh, {
    headers: { Accept: "text/html" },
    credentials: "same-origin",
  });
  if (!answer.ok) return false;
  const page = new DOMParser().parseFromString(await answer.text(), "text/html");
  const fresh = page.querySelector(".live-endorsers section.endorsers");
  const current = holder.querySelector("section.endorsers");
  if (!fresh || !current) return false;
  current.replaceWith(document.adoptNode(fresh));
  return true;
}

function say(holder, message, link) {
  const status = holder.querySelector(".live-status");
  if (!status) return;
  status.replaceChildren(document.createTextNode(message));
  if (link) {
    const a = document.createElement("a");
    a.href = link.href;
    a.textContent = link.text;
    status.append(" ", a);
  }
}

/** Follow the stream for `holder`, reconnecting with growing pauses when it drops. */
export function follow(holder) {
  const data = holder.dataset;
  let pause = RETRY_FIRST_MS;
  let opened = false;
  let source = null;

  const update = async () => {
    if (await refresh(holder)) say(holder, data.sayUpdated);
  };

  const connect = () => {
    source = new EventSource(data.stream);
    source.addEventListener("open", () => {
      pause = RETRY_FIRST_MS;
      if (opened) update(); // events may have passed while the stream was down
      opened = true;
      holder.dataset.live = "connected";
    });
    source.addEventListener("endorsers", (event) => {
      if (JSON.parse(event.data).version === data.version) update();
    });
    source.addEventListener("version", (event) => {
      const number = String(JSON.parse(event.data).number);
      say(holder, data.sayPublished.replace("{number}", number), {
        href: data.versions + encodeURIComponent(number),
        text: data.sayRead,
      });
    });
    source.addEventListener("error", () => {
      holder.dataset.live = "reconnecting";
      if (source.readyState !== EventSource.CLOSED) return; // the browser retries by itself
      setTimeout(connect, pause); // refused (e.g. the server is busy): try again later
      pause = Math.min(pause * 2, RETRY_LAST_MS);
    });
  };
  connect();
  return () => source && source.close();
}

for (const holder of document.querySelectorAll(".live-endorsers[data-stream]")) follow(holder);
